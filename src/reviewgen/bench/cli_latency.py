"""How long ``reviewgen`` takes to answer one conversion, sample or homotopy, each against its naive baseline.

Each command runs a model's ONNX export under onnxruntime. A conversion's baseline, a character LM's
sample's and a homotopy's, is what a user would write with the torch model file (``load_model`` and the
model's ``convert``, ``sample`` or the report's ``homotopy``), torch's import included. The word LM's
sample's baseline is the same command with the imports the CLI made before they moved into the commands
that need them, and torch's default threads."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from reviewgen.bench.pipeline import run
from reviewgen.bench.timing import Row, interleaved_median_seconds, median_seconds

COMMANDS = {
    "tense convert": ["tense", "convert", "abandon", "--from", "sp", "--to", "p"],
    "sample": ["sample", "--model", "wordlm", "-n", "3"],
    "sample charlm-lstm": ["sample", "--model", "charlm-lstm", "-n", "3"],
    "interpolate": ["interpolate", "the guitars roar over the drums", "a quiet piano closes the record"],
}
# What importing reviewgen.cli pulled in before: NLTK (homotopy's BLEU and tokenizer, the tense metrics),
# pandas, wordfreq and lemminflect (the tense dataset builder), jsonschema (params validation).
EAGER = ("import jsonschema, lemminflect, nltk.translate.bleu_score, pandas, wordfreq; "
         "import reviewgen.data.sentences, reviewgen.evaluation.tense_eval; ")


# ... and the threads it used: torch's default, every core (the CLI now takes one unless told otherwise).
EAGER_ENV = {"OMP_NUM_THREADS": str(os.cpu_count() or 1)}


def _cli(root: Path, prelude: str, args: list[str], env: dict[str, str] | None = None) -> None:
    run(root, sys.executable, "-c", f"{prelude}import sys; from reviewgen.cli import main; sys.exit(main({args!r}))",
        env=env)


# The same conversion through the torch model, as a user without the ONNX export would run it.
TORCH_CONVERT = (
    "import torch; from reviewgen.data.charcodec import CharCodec; from reviewgen.models.registry import load_model; "
    "torch.set_num_threads(1); model, _, extra = load_model('results/models/tense_cvae-default.pt'); "
    "codec = CharCodec(extra['chars']); chars, _ = codec.batch(['abandon']); "
    "print(codec.decode(model.convert(chars, torch.tensor([0]), torch.tensor([3]))[0]))"
)
# The same sample through the torch model, as a user without the ONNX export would draw it.
TORCH_SAMPLE = (
    "import torch; from reviewgen.data.vocab import Vocab; from reviewgen.models.registry import load_model; "
    "torch.set_num_threads(1); model, _, extra = load_model('results/models/charlm-lstm.pt'); "
    "vocab = Vocab.load(extra['vocab']); "
    "print(*(''.join(vocab.decode(ids)) for ids in model.sample(3, 200, 0.8)), sep='\\n')"
)
# The same homotopy through the torch model, as the CLI drew it before the sentence VAE's ONNX export.
TORCH_HOMOTOPY = (
    "import torch; from reviewgen.data.vocab import Vocab; from reviewgen.evaluation.homotopy import homotopy; "
    "from reviewgen.models.registry import load_model; torch.set_num_threads(1); "
    "model, _, extra = load_model('results/models/sentence_vae.pt'); "
    "print(*homotopy(model, Vocab.load(extra['vocab']), 'the guitars roar over the drums', "
    "'a quiet piano closes the record', 7, 'linear', extra['max_tokens'] + 1), sep='\\n')"
)
NAIVE = {
    "tense convert": ("naive: the torch model file, torch imported", lambda root: run(root, sys.executable, "-c",
                                                                                       TORCH_CONVERT)),
    "sample": ("naive: with the CLI's former eager imports and threads",
               lambda root: _cli(root, EAGER, COMMANDS["sample"], EAGER_ENV)),
    "sample charlm-lstm": ("naive: the torch model file, torch imported",
                           lambda root: run(root, sys.executable, "-c", TORCH_SAMPLE)),
    "interpolate": ("naive: the torch model file, torch imported",
                    lambda root: run(root, sys.executable, "-c", TORCH_HOMOTOPY)),
}


def bench_cli(root: Path, repeats: int) -> list[Row]:
    """Each command in ``root`` (a built pipeline copy: its models) and its naive baseline, in turns."""
    rows = []
    for name, args in COMMANDS.items():
        note, naive = NAIVE[name]
        times = interleaved_median_seconds({
            "cli": lambda args=args: _cli(root, "", args),
            "naive": lambda naive=naive: naive(root),
        }, repeats)
        cli, baseline = times["cli"], times["naive"]
        rows.append(Row("cli", f"reviewgen {name}", {"seconds": cli, "naive_s": baseline, "speedup": baseline / cli},
                        note=f"{note}; target <= 1.5 s"))
    floor = median_seconds(lambda: run(root, sys.executable, "-c", "import torch"), repeats, warmup=0)
    rows.append(Row("cli", "  python -c 'import torch'", {"seconds": floor},
                    note="the floor of a command that would run a torch model; no command does"))
    return rows
