import logging
import random
import threading

import numpy as np
import pytest
import torch

from reviewgen.training import checkpoint


def payload(fingerprint="abc"):
    return {
        "fingerprint": fingerprint,
        "epoch": 2,
        "model": {"weight": torch.arange(6.0).reshape(2, 3)},
        "rng": checkpoint.capture_rng(),
        "history": [{"epoch": 1, "valid_loss": 0.5}],
        "run_id": None,
    }


def warnings_in(caplog):
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_fingerprint_is_stable_and_sensitive():
    a = checkpoint.config_fingerprint({"train": {"lr": 0.1, "epochs": 3}, "model": {"hidden": 8}})
    b = checkpoint.config_fingerprint({"model": {"hidden": 8}, "train": {"epochs": 3, "lr": 0.1}})
    c = checkpoint.config_fingerprint({"train": {"lr": 0.1, "epochs": 3}, "model": {"hidden": 9}})
    assert a == b != c


def test_rng_states_round_trip():
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    np.random.standard_normal()  # leaves a cached gaussian in numpy's legacy state
    state = checkpoint.capture_rng()
    first = (random.random(), np.random.standard_normal(), torch.rand(4))
    checkpoint.restore_rng(state)
    again = (random.random(), np.random.standard_normal(), torch.rand(4))
    assert first[:2] == again[:2]
    assert torch.equal(first[2], again[2])


def test_save_then_load_with_weights_only(tmp_path):
    path = tmp_path / "sub" / "ckpt.pt"
    checkpoint.save(path, payload())
    loaded = checkpoint.load(path, "abc")
    assert loaded["epoch"] == 2 and loaded["history"] == [{"epoch": 1, "valid_loss": 0.5}]
    assert torch.equal(loaded["model"]["weight"], torch.arange(6.0).reshape(2, 3))
    # the file is plain data: the safe loader reads it without any allow-listing
    assert torch.load(path, weights_only=True)["format"] == checkpoint.FORMAT_VERSION


def test_missing_file_is_silently_none(tmp_path, caplog):
    assert checkpoint.load(tmp_path / "nope.pt", "abc") is None
    assert warnings_in(caplog) == []


@pytest.mark.parametrize(
    "damage, reason",
    [
        (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), "unreadable"),
        (lambda p: p.write_bytes(b"not a checkpoint at all"), "unreadable"),
        (lambda p: torch.save({"format": 0}, p), "not a format"),
    ],
    ids=["truncated", "garbage", "old-format"],
)
def test_damaged_file_is_one_warning_and_none(tmp_path, caplog, damage, reason):
    path = tmp_path / "ckpt.pt"
    checkpoint.save(path, payload())
    damage(path)
    assert checkpoint.load(path, "abc") is None
    [message] = warnings_in(caplog)
    assert reason in message and "\n" not in message


def test_other_fingerprint_is_refused(tmp_path, caplog):
    path = tmp_path / "ckpt.pt"
    checkpoint.save(path, payload("abc"))
    assert checkpoint.load(path, "xyz") is None
    [message] = warnings_in(caplog)
    assert "different config" in message


def test_failed_save_leaves_previous_file_and_no_temp(tmp_path):
    path = tmp_path / "ckpt.pt"
    checkpoint.save(path, payload())
    before = path.read_bytes()
    with pytest.raises(TypeError, match="pickle"):
        checkpoint.save(path, {"fingerprint": "abc", "bad": threading.Lock()})
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt"]


def test_checkpoint_written_on_gpu_loads_on_cpu(tmp_path):
    """Storages tagged "cuda:0" in the file, as torch.save writes them on a GPU node.

    No GPU is needed to write such a file: a tagger registered ahead of torch's own labels every
    storage "cuda:0" while saving. Loading it then needs map_location, which checkpoint.load passes.
    """
    entry = (-1000, lambda storage: "cuda:0", lambda storage, location: None)
    torch.serialization.register_package(*entry)
    try:
        path = tmp_path / "gpu.pt"
        checkpoint.save(path, payload())
    finally:
        torch.serialization._package_registry.remove(entry)
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA"):
            torch.load(path, weights_only=True)  # proves the file really names a CUDA device
    loaded = checkpoint.load(path, "abc")
    assert loaded["model"]["weight"].device.type == "cpu"
    assert torch.equal(loaded["model"]["weight"], torch.arange(6.0).reshape(2, 3))
    checkpoint.restore_rng(loaded["rng"])  # RNG states come back as CPU tensors, as set_rng_state needs
