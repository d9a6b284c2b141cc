"""``reviewgen``: use the trained models in ``results/models`` from the command line.

    reviewgen sample --model wordlm --energy 0.9 [--valence 0.2] [-n 50] [--temperature 0.8]
    reviewgen sample --model charlm-lstm --temperature 0.5
    reviewgen interpolate "first sentence" "second sentence" --steps 7 [--method slerp]
    reviewgen tense convert abandon --from sp --to p
    reviewgen tense convert --file pairs.txt        (one "word from to" per line)
    reviewgen tense generate -n 10 [--prior standard|aggregate] [--variant gru]
    reviewgen params dvc-args params/full.yaml     (the overlay as `dvc exp run -S` flags)
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from reviewgen.config import ConfigError, load_params
from reviewgen.data.feature_ranges import FEATURE_RANGES, classify, describe
from reviewgen.data.tenses import TENSES
from reviewgen.pipeline.stages import CHARLM_ONNX, NGRAM_COUNTS, SENTENCE_VAE_ONNX, TENSE_ONNX, WORDLM_ONNX

if TYPE_CHECKING:
    from reviewgen.data.vocab import Vocab
    from reviewgen.inference.tense import OnnxTense

# No command imports torch: each runs its model's ONNX export (the count n-gram's arrays), and importing
# torch takes longer than the whole conversion, sample or homotopy.
FEATURES = ("energy", "valence", "danceability", "tempo")
TENSE_NAMES = {"sp": "simple present", "tp": "third person", "pg": "present progressive", "p": "simple past"}


class CliError(Exception):
    """Something the user can fix: printed as one line, exit status 2."""


def trained(path: Path, stage: str, written_last: str | None = None) -> Path:
    """``path`` (under ``--results``) once ``stage`` has written it (a folder: its ``written_last`` file),
    else the one-line error that says how to train it."""
    if not (path / written_last if written_last else path).exists():
        raise CliError(f"{path} not found: train it first with `dvc repro {stage}` "
                       f"(or `snakemake --cores 2 {path}`), from the repository root")
    return path


def result_path(results: Path, path: str) -> Path:
    """A stage's output path, which the stage writes under results/, as --results moves it."""
    return results / Path(path).relative_to("results")


def export_folder(results: Path, path: str, stage: str) -> Path:
    """A stage's ONNX export folder (``meta.json`` is written with the graphs, atomically)."""
    return trained(result_path(results, path), stage, "meta.json")


def onnx_threads() -> int:
    """onnxruntime's threads: what the environment asks for (as for torch), else one."""
    from reviewgen.threads import threads_from_environment

    return threads_from_environment()[0] or 1


def load_vocab(extra: dict, override: str | None) -> Vocab:
    from reviewgen.data.vocab import Vocab

    path = Path(override or extra["vocab"])
    if not path.exists():
        raise CliError(f"vocabulary {path} not found: run from the repository root or pass --vocab")
    return Vocab.load(path)


def check_sampling(args: argparse.Namespace) -> None:
    """Refuse settings that cannot be right before any model is loaded."""
    if args.n < 1:
        raise CliError(f"-n must be a positive count, got {args.n}")
    if args.max_len < 1:
        raise CliError(f"--max-len must be a positive length, got {args.max_len}")
    if not (math.isfinite(args.temperature) and args.temperature > 0):
        raise CliError(f"--temperature must be a finite number > 0, got {args.temperature}")
    for name in FEATURES:
        value = getattr(args, name)
        if value is not None and classify(name, value)[1] is not None:
            raise CliError(f"--{name} {value} is outside the documented range of {name}, {describe(name)}")


def check_in_training_range(extra: dict, names: list[str], given: dict[str, float]) -> None:
    """A conditioning value the model never saw in training gives degenerate text: refuse it."""
    unknown = sorted(set(given) - set(names))
    if unknown:
        flags = " ".join(f"--{n}" for n in unknown)
        raise CliError(f"wordlm is conditioned on {names} only; drop {flags}")
    low, high = extra.get("feature_train_range") or (None, None)
    for name, value in given.items():
        if low is None:
            # A model saved before training ranges were kept: fall back to the documented range.
            lo, hi, _ = FEATURE_RANGES[name]
            lo, hi = lo if lo is not None else -math.inf, hi if hi is not None else math.inf
            seen = f"the documented range {describe(name)}"
        else:
            at = names.index(name)
            lo, hi = low[at], high[at]
            seen = f"the range seen in training, [{lo:g}, {hi:g}]"
        if not lo <= value <= hi:
            raise CliError(f"--{name} {value:g} is outside {seen}")


def sample(args: argparse.Namespace) -> list[str]:
    check_sampling(args)
    if args.model == "wordlm":
        return sample_wordlm(args)
    given = sorted(name for name in FEATURES if getattr(args, name) is not None)
    if given:
        raise CliError(f"{args.model} is not conditioned on track features; drop {given}")
    if args.model == "charlm-ngram":
        return sample_ngram(args)
    if not args.model.startswith("charlm-") or args.model == "charlm-":
        raise CliError(f"--model {args.model!r} cannot sample: use wordlm, charlm-ngram or charlm-<arch> "
                       f"(an entry of charlm.archs in params.yaml)")
    return sample_char_lm(args)


def sample_wordlm(args: argparse.Namespace) -> list[str]:
    """From the word LM's ONNX export: no torch to import."""
    folder = export_folder(args.results, WORDLM_ONNX, "train_wordlm")
    import numpy as np

    from reviewgen.data.scaling import FeatureScaler
    from reviewgen.inference.wordlm import OnnxWordLM

    model = OnnxWordLM(folder, threads=onnx_threads())
    extra = model.extra
    vocab = load_vocab(extra, args.vocab)
    given = {name: getattr(args, name) for name in FEATURES if getattr(args, name) is not None}
    scaler = FeatureScaler(**extra["features"])
    check_in_training_range(extra, scaler.names, given)
    try:
        row = scaler.row(extra["feature_medians"], **given)
    except ValueError as err:
        raise CliError(str(err)) from err
    samples = model.sample(np.tile(row, (args.n, 1)), args.max_len, args.temperature, np.random.default_rng(args.seed))
    # Samples read as text. NLTK's import comes after the checks above, so a refused value does not pay it.
    from reviewgen.data.detokenize import decode_text

    return [decode_text(vocab, ids) for ids in samples]


def sample_char_lm(args: argparse.Namespace) -> list[str]:
    """From a neural character LM's ONNX export: no torch to import."""
    arch = args.model.removeprefix("charlm-")
    folder = export_folder(args.results, CHARLM_ONNX.format(arch=arch), f"train_charlm@{arch}")
    import numpy as np

    from reviewgen.inference.charlm import OnnxCharLM

    model = OnnxCharLM(folder, threads=onnx_threads())
    vocab = load_vocab(model.extra, args.vocab)
    return char_texts(vocab, model.sample(args.n, args.max_len, args.temperature, np.random.default_rng(args.seed)))


def sample_ngram(args: argparse.Namespace) -> list[str]:
    """From the count n-gram's arrays: numpy only."""
    path = trained(result_path(args.results, NGRAM_COUNTS), "train_ngram")
    import numpy as np

    from reviewgen.models.ngram_counts import CharNGramCounts

    model, vocab_path = CharNGramCounts.load_arrays(path)
    vocab = load_vocab({"vocab": vocab_path}, args.vocab)
    return char_texts(vocab, model.sample(args.n, args.max_len, args.temperature, np.random.default_rng(args.seed)))


def char_texts(vocab: Vocab, samples: list[list[int]]) -> list[str]:
    """Character ids as the text they spell."""
    return [vocab.spell(ids) for ids in samples]


def interpolate(args: argparse.Namespace) -> list[str]:
    """From the sentence VAE's ONNX export: no torch to import."""
    from reviewgen.evaluation.interpolation import encode_words, homotopy_rows

    if args.steps < 2:
        raise CliError(f"--steps must be at least 2 (the two ends), got {args.steps}")
    folder = export_folder(args.results, SENTENCE_VAE_ONNX, "train_sentence_vae")
    from reviewgen.data.detokenize import decode_text
    from reviewgen.inference.sentence_vae import OnnxSentenceVAE

    model = OnnxSentenceVAE(folder, threads=onnx_threads())
    vocab = load_vocab(model.extra, args.vocab)
    max_len = args.max_len or model.extra["max_tokens"] + 1
    try:
        (ids0, ids1), _ = encode_words(vocab, [args.s0, args.s1])
        decoded = model.homotopy(ids0, ids1, args.steps, args.method, max_len)
    except ValueError as err:
        raise CliError(str(err)) from err
    texts = [decode_text(vocab, ids) for ids in decoded]
    return [f"({label}) {text}" for label, text in homotopy_rows(args.s0, args.s1, texts)]


def tense_index(code: str) -> int:
    if code not in TENSES:
        known = ", ".join(f"{c} ({TENSE_NAMES[c]})" for c in TENSES)
        raise CliError(f"unknown tense code {code!r}: use one of {known}")
    return TENSES.index(code)


def read_pairs(path: Path) -> list[tuple[str, str, str]]:
    """``(word, from, to)`` per non-blank line of ``path``; the first bad line is the error."""
    if not path.exists():
        raise CliError(f"{path} not found")
    pairs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 3:
            raise CliError(f"{path}:{number}: expected 'word from to', got {line.strip()!r}")
        try:
            for code in fields[1:]:
                tense_index(code)
        except CliError as err:
            raise CliError(f"{path}:{number}: {err}") from err
        pairs.append((fields[0], fields[1], fields[2]))
    if not pairs:
        raise CliError(f"{path} holds no 'word from to' lines")
    return pairs


def load_tense_model(args: argparse.Namespace) -> OnnxTense:
    folder = export_folder(args.results, TENSE_ONNX.format(variant=args.variant), f"train_tense_cvae@{args.variant}")
    from reviewgen.inference.tense import OnnxTense

    return OnnxTense(folder, threads=onnx_threads())


def tense_convert(args: argparse.Namespace) -> list[str]:
    if args.file is not None:
        if args.word is not None or args.source or args.target:
            raise CliError("give either a word with --from and --to, or --file, not both")
        pairs = read_pairs(args.file)
    elif args.word is None or not args.source or not args.target:
        raise CliError("give a word with --from and --to (e.g. `abandon --from sp --to p`), or --file")
    else:
        if not args.word.strip():
            raise CliError("the word to convert is empty")
        pairs = [(args.word.strip(), args.source, args.target)]
    # Checked before loading the model, so a typo is reported as such even where no model is trained yet.
    indices = [(tense_index(src), tense_index(tgt)) for _, src, tgt in pairs]
    model = load_tense_model(args)
    words = [word.lower() for word, _, _ in pairs]
    for word in words:
        unknown = sorted(set(word) - set(model.codec.stoi))
        if unknown:
            raise CliError(f"{word!r} has character(s) the model never saw: {''.join(unknown)}")
    converted = [model.convert(word, src, tgt) for word, (src, tgt) in zip(words, indices, strict=True)]
    return [f"{word} ({src}) -> {out} ({tgt})" for (word, src, tgt), out in zip(pairs, converted, strict=True)]


def tense_generate(args: argparse.Namespace) -> list[str]:
    if args.n < 1:
        raise CliError(f"-n must be at least 1, got {args.n}")
    model = load_tense_model(args)
    if args.prior == "aggregate" and len(model.prior_mu) == 0:
        raise CliError(f"the {args.variant} model has no fitted aggregate prior; use --prior standard")
    import numpy as np

    samples = model.generate_four_tenses(args.n, np.random.default_rng(args.seed), standard=args.prior == "standard")
    return [" ".join(forms) for forms in samples]


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

    p = commands.add_parser("interpolate", help="decode the path between two sentences' codes (sentence VAE)")
    p.add_argument("s0", help="first sentence")
    p.add_argument("s1", help="second sentence")
    p.add_argument("--steps", type=int, default=7, help="points on the path, both ends included")
    p.add_argument("--method", default="linear", help="how to walk between the two codes: linear or slerp")
    p.add_argument("--max-len", type=int, help="most tokens per decoded sentence (default: the model's)")
    p.add_argument("--vocab", help="vocabulary file (default: the one the model was trained with)")
    p.set_defaults(run=interpolate)

    # --variant is accepted after either tense command.
    variant = argparse.ArgumentParser(add_help=False)
    variant.add_argument("--variant", default="default", help="which trained tense model (default: default)")
    tense = commands.add_parser("tense", help="the tense model: convert verbs, generate verbs")
    tense_commands = tense.add_subparsers(dest="tense_command", required=True)
    codes = ", ".join(f"{c} = {TENSE_NAMES[c]}" for c in TENSES)
    p = tense_commands.add_parser("convert", parents=[variant], help=f"rewrite a verb in another tense ({codes})")
    p.add_argument("word", nargs="?", help="the verb as written in its --from tense")
    p.add_argument("--from", dest="source", metavar="TENSE", help=f"tense of the word: {codes}")
    p.add_argument("--to", dest="target", metavar="TENSE", help="tense to rewrite it in")
    p.add_argument("--file", type=Path, help="one 'word from to' per line, instead of a word")
    p.set_defaults(run=tense_convert)
    p = tense_commands.add_parser("generate", parents=[variant], help="new verbs in the four tenses")
    p.add_argument("-n", type=int, default=10, help="how many verbs")
    p.add_argument("--prior", choices=("standard", "aggregate"), default="standard",
                   help="standard: z ~ N(0, I), as the Gaussian score; aggregate: the training posteriors' mixture")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=tense_generate)

    params = commands.add_parser("params", help="helpers for params files")
    params_commands = params.add_subparsers(dest="params_command", required=True)
    p = params_commands.add_parser("dvc-args", help="an overlay file (e.g. params/full.yaml) as `dvc exp run -S` flags")
    p.add_argument("file", type=Path)
    p.set_defaults(run=params_dvc_args)
    return top


def leaves(nested: dict, prefix: str = "") -> dict[str, object]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; lists are values, not branches."""
    flat: dict[str, object] = {}
    for key, value in nested.items():
        if isinstance(value, dict) and value:
            flat |= leaves(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def params_dvc_args(args: argparse.Namespace) -> list[str]:
    """One line of ``-S key=value`` flags; values in JSON, which DVC reads as YAML."""
    try:
        overlay = load_params(args.file)
    except ConfigError as err:
        raise CliError(str(err)) from err
    return [" ".join(f"-S {shlex.quote(f'{key}={json.dumps(value)}')}" for key, value in leaves(overlay).items())]


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        lines = args.run(args)
    except (CliError, ConfigError) as err:
        print(f"reviewgen: {err}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
