import dataclasses
import random
from collections import namedtuple

import numpy as np
import pytest
import torch

from reviewgen.config import ConfigError
from reviewgen.training.runtime import epoch_seed, pick_device, seed_everything, set_threads, to_device


@pytest.fixture(autouse=True)
def _restore_globals():
    before = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    yield
    torch.set_num_threads(before[0])
    torch.use_deterministic_algorithms(before[1])


def draws():
    return random.random(), float(np.random.rand()), torch.rand(3).tolist(), torch.nn.Dropout(0.5)(
        torch.ones(8)
    ).tolist()


def test_seed_everything_repeats_every_rng():
    seed_everything(7)
    first = draws()
    seed_everything(7)
    assert draws() == first
    seed_everything(8)
    assert draws() != first
    assert torch.are_deterministic_algorithms_enabled()


def test_pick_device_cpu_and_auto():
    assert pick_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert pick_device("auto").type == expected


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on a machine without a GPU")
def test_pick_device_cuda_without_gpu_is_a_one_line_error():
    with pytest.raises(ConfigError, match="CUDA is not available") as info:
        pick_device("cuda")
    assert "\n" not in str(info.value)


def test_pick_device_rejects_unknown_names():
    with pytest.raises(ConfigError, match="device must be"):
        pick_device("tpu")


def test_set_threads_explicit_wins_over_environment(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert set_threads(1) == 1
    assert torch.get_num_threads() == 1


def test_set_threads_reads_omp_then_slurm(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setenv("SLURM_CPUS_PER_TASK", "1")
    assert set_threads() == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert set_threads() == 2
    assert torch.get_num_threads() == 2


def test_set_threads_without_hint_leaves_torch_alone(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("SLURM_CPUS_PER_TASK", raising=False)
    torch.set_num_threads(1)
    assert set_threads() == 1


def test_set_threads_default_only_where_the_environment_is_silent(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("SLURM_CPUS_PER_TASK", raising=False)
    torch.set_num_threads(2)
    assert set_threads(default=1) == 1
    assert torch.get_num_threads() == 1
    monkeypatch.setenv("SLURM_CPUS_PER_TASK", "2")
    assert set_threads(default=1) == 2
    assert set_threads(1, default=2) == 1


@pytest.mark.parametrize("value", ["zero", "0"])
def test_set_threads_rejects_bad_environment(monkeypatch, value):
    monkeypatch.setenv("OMP_NUM_THREADS", value)
    with pytest.raises(ConfigError, match="OMP_NUM_THREADS"):
        set_threads()


def test_to_device_moves_tensors_inside_containers():
    @dataclasses.dataclass
    class Batch:
        tokens: torch.Tensor
        lengths: list

    Pair = namedtuple("Pair", "src tgt")
    batch = {"b": Batch(torch.ones(2), [torch.zeros(1), 3]), "p": Pair(torch.ones(1), "text")}
    moved = to_device(batch, torch.device("meta"))  # "meta" proves a move without needing a GPU
    assert isinstance(moved["b"], Batch) and isinstance(moved["p"], Pair)
    assert moved["b"].tokens.device.type == "meta" and moved["b"].lengths[0].device.type == "meta"
    assert moved["b"].lengths[1] == 3 and moved["p"].tgt == "text" and moved["p"].src.is_meta


def test_epoch_seeds_differ_by_seed_and_epoch_and_repeat():
    seeds = {epoch_seed(s, e) for s in range(3) for e in range(1, 4)}
    assert len(seeds) == 9 and epoch_seed(1, 2) == epoch_seed(1, 2)
    assert all(0 <= s < 2**64 for s in seeds)
