"""How long ``reviewgen`` takes to answer one conversion or one sample, against the same call with the
imports the CLI made before they moved into the commands that need them and torch's default threads
(the naive baseline)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from reviewgen.bench.pipeline import run
from reviewgen.bench.timing import Row, interleaved_median_seconds, median_seconds

COMMANDS = {
    "tense convert": ["tense", "convert", "abandon", "--from", "sp", "--to", "p"],
    "sample": ["sample", "--model", "wordlm", "-n", "3"],
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


def bench_cli(root: Path, repeats: int) -> list[Row]:
    """Each command in ``root`` (a built pipeline copy: its models), lazy and eager in turns."""
    rows = []
    for name, args in COMMANDS.items():
        times = interleaved_median_seconds({
            "lazy": lambda args=args: _cli(root, "", args),
            "eager": lambda args=args: _cli(root, EAGER, args, EAGER_ENV),
        }, repeats)
        lazy, eager = times["lazy"], times["eager"]
        rows.append(Row("cli", f"reviewgen {name}", {"seconds": lazy, "naive_s": eager, "speedup": eager / lazy},
                        note="naive: with the CLI's former eager imports and threads; target <= 1.5 s"))
    floor = median_seconds(lambda: run(root, sys.executable, "-c", "import torch"), repeats, warmup=0)
    rows.append(Row("cli", "  python -c 'import torch'", {"seconds": floor},
                    note="the floor: every command runs a torch model"))
    return rows
