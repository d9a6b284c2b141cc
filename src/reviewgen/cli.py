"""``reviewgen``: use the trained models in ``results/models`` from the command line.

    reviewgen sample --model wordlm --energy 0.9 [--valence 0.2] [-n 50] [--temperature 0.8]
    reviewgen sample --model charlm-lstm --temperature 0.5
    reviewgen interpolate "first sentence" "second sentence" --steps 7
    reviewgen tense convert abandon --from sp --to p
    reviewgen tense convert --file pairs.txt        (one "word from to" per line)
    reviewgen tense generate -n 10
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from reviewgen.data.scaling import FeatureScaler
from reviewgen.data.vocab import Vocab
from reviewgen.models.ngram import CharNGramCounts
from reviewgen.models.registry import load_model

FEATURES = ("energy", "valence", "danceability", "tempo")
# Which stage writes each model, for the "missing model" message.
STAGE_OF = {"wordlm": "train_wordlm", "charlm-ngram": "train_ngram", "sentence_vae": "train_sentence_vae",
            "tense_cvae": "train_tense_cvae@default"}


class CliError(Exception):
    """Something the user can fix: printed as one line, exit status 2."""


def model_file(results: Path, name: str) -> Path:
    path = results / "models" / f"{name}.pt"
    if not path.exists():
        stage = STAGE_OF.get(name, f"train_charlm@{name.removeprefix('charlm-')}")
        raise CliError(f"{path} not found: train it first with `dvc repro {stage}` "
                       f"(or `snakemake --cores 2 {path}`), from the repository root")
    return path


def load_vocab(extra: dict, override: str | None) -> Vocab:
    path = Path(override or extra["vocab"])
    if not path.exists():
        raise CliError(f"vocabulary {path} not found: run from the repository root or pass --vocab")
    return Vocab.load(path)


def sample(args: argparse.Namespace) -> list[str]:
    generator = torch.Generator().manual_seed(args.seed)
    if args.model == "charlm-ngram":
        payload = torch.load(model_file(args.results, args.model), map_location="cpu", weights_only=True)
        counts = CharNGramCounts.from_state_dict(payload["state"])
        vocab = load_vocab(payload["extra"], args.vocab)
        rng = np.random.default_rng(args.seed)
        return ["".join(vocab.decode(ids)) for ids in counts.sample(args.n, args.max_len, args.temperature, rng)]
    model, _, extra = load_model(model_file(args.results, args.model))
    vocab = load_vocab(extra, args.vocab)
    given = {name: getattr(args, name) for name in FEATURES if getattr(args, name) is not None}
    if args.model == "wordlm":
        scaler = FeatureScaler(**extra["features"])
        try:
            row = scaler.row(extra["feature_medians"], **given)
        except ValueError as err:
            raise CliError(str(err)) from err
        features = torch.as_tensor(np.tile(row, (args.n, 1)), dtype=torch.float32)
        samples = model.sample(features, args.max_len, args.temperature, generator)
        return [" ".join(vocab.decode(ids)) for ids in samples]
    if given:
        raise CliError(f"{args.model} is not conditioned on track features; drop {sorted(given)}")
    return ["".join(vocab.decode(ids)) for ids in model.sample(args.n, args.max_len, args.temperature, generator)]


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="reviewgen", description=__doc__.split("\n\n")[0])
    top.add_argument("--results", type=Path, default=Path("results"), help="where the pipeline wrote its models")
    commands = top.add_subparsers(dest="command", required=True)

    p = commands.add_parser("sample", help="generate text from a language model")
    p.add_argument("--model", required=True, help="wordlm, charlm-lstm, charlm-gru, charlm-ngram, ...")
    p.add_argument("-n", type=int, default=10, help="how many samples")
    p.add_argument("--temperature", type=float, default=0.8)
    p.add_argument("--max-len", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--vocab", help="vocabulary file (default: the one the model was trained with)")
    for name in FEATURES:
        p.add_argument(f"--{name}", type=float, help=f"{name} to condition the word LM on (default: median)")
    p.set_defaults(run=sample)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        lines = args.run(args)
    except CliError as err:
        print(f"reviewgen: {err}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
