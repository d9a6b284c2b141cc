"""Every stage of the pipeline, declared once: dvc.yaml is generated from this table and the Snakemake
rules read it (workflow/rules/common.smk).

A stage's command is ``python <script>`` plus ``args``, written with Snakemake's placeholders
(``{input.x}``, ``{output.y}``, ``{log}``, ``{params.x}``, ``{wildcards.x}``); the DVC generator fills
in the same paths. A stage run once per model (``repeat``) writes ``{arch}`` / ``{variant}`` in its
paths: DVC's ``foreach`` and Snakemake's wildcards expand them from params, so a new entry in
``charlm.archs`` or ``tense_variants`` is planned by both tools without touching this file. A report that
reads every model of a family (``collect``) gets the list from params at run time too; DVC depends on
the folders those files live in (it links a folder dependency to every stage writing inside it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

# Snakemake's `{input}` etc. in a command; the DVC generator substitutes them.
PLACEHOLDER = r"\{(input|output|params|wildcards)\.(\w+)\}|\{log\}"


@dataclass(frozen=True)
class Output:
    """One file (or folder) a stage writes. ``metric`` and ``plot`` files are small and kept by git
    (DVC ``cache: false``); a plot names the history columns ``dvc plots show`` draws."""

    path: str
    kind: str = "out"  # out | metric | plot
    folder: bool = False
    x: str | None = None
    y: str | None = None


@dataclass(frozen=True)
class Repeat:
    """One job per entry of a params list, or per key of a params mapping (``key``)."""

    key: str  # dotted params key: "charlm.archs" (a list) or "tense_variants" (a mapping)
    wildcard: str  # the name used in paths and params: {arch}, {variant}
    keys: bool = False  # a mapping: one job per key (DVC's ${key}); else per list item (${item})

    def values(self, lookup: Callable[[str], Any]) -> list[str]:
        return [str(value) for value in lookup(self.key)]


@dataclass(frozen=True)
class Collect:
    """Files a report reads from training stages: output ``output`` of each stage, for every model
    params names. DVC depends on their common folder, Snakemake on each file. The folder holds every
    model of that kind of output, so under DVC a report also reruns when a model it does not read
    changes there (a retrained word LM reruns report_tense); Snakemake follows the files."""

    folder: str
    sources: tuple[tuple[str, str], ...]  # (stage, output name)


@dataclass(frozen=True)
class Resources:
    threads: int = 1
    mem_mb: int | None = None
    runtime: int | None = None  # minutes on a cluster
    gpu: int | None = None
    grows_with_attempt: bool = False  # a job retried after its time limit gets runtime * attempt
    local: bool = False  # runs on the node running Snakemake: seconds of work, not worth a queue
    benchmark: bool = False  # Snakemake writes wall time and peak memory to results/benchmarks/jobs/


TRAIN = Resources(threads=2, mem_mb=4000, runtime=120, gpu=1, grows_with_attempt=True, benchmark=True)
DATA = Resources(local=True)


@dataclass(frozen=True)
class Stage:
    name: str
    args: str
    inputs: dict[str, str | tuple[str, ...]] = field(default_factory=dict)
    outputs: dict[str, Output] = field(default_factory=dict)
    params: tuple[str, ...] = ()  # params sections read; "{arch}" etc. filled per job
    repeat: Repeat | None = None
    collect: dict[str, Collect] = field(default_factory=dict)
    external: tuple[str, ...] = ()  # params keys naming an optional input file (null: none)
    checkpoint: str | None = None  # resumable state: not an output, so a killed job resumes
    folders: dict[str, str] = field(default_factory=dict)  # {params name: input whose folder it is}
    resources: Resources = Resources()

    @property
    def script(self) -> str:
        return f"workflow/scripts/{self.name}.py"

    @property
    def log(self) -> str:
        suffix = f"@{{{self.repeat.wildcard}}}" if self.repeat else ""
        return f"logs/{self.name}{suffix}.log"


def _training(stem: str, plot_y: str = "valid_loss") -> dict[str, Output]:
    return {
        "model": Output(f"results/models/{stem}.pt"),
        "metrics": Output(f"results/metrics/{stem}.json", "metric"),
        "history": Output(f"results/histories/{stem}.csv", "plot", x="epoch", y=plot_y),
        "samples": Output(f"results/samples/{stem}.txt"),
    }


# Paths one stage writes and another reads, written once.
RAW_REVIEWS = "data/raw/reviews.parquet"
SOURCE_FEATURES = "data/raw/source_features.csv"
FEATURES = "data/raw/features.csv"
JOINED_REVIEWS = "data/interim/reviews.parquet"
SENTENCES = "data/processed/sentences.parquet"
WORDS = "data/processed/vocab_words.json"
CHARS = "data/processed/vocab_chars.json"
TRUTH = "data/raw/synthetic_truth.json"
TENSE = {name: f"data/processed/tense/{name}.txt" for name in ("train", "valid", "test", "reference")}
TENSE_ONNX = "results/models/tense_cvae-{variant}-onnx"
WORDLM_ONNX = "results/models/wordlm-onnx"
SENTENCE_VAE_ONNX = "results/models/sentence_vae-onnx"
CHARLM_ONNX = "results/models/charlm-{arch}-onnx"
NGRAM_COUNTS = "results/models/charlm-ngram-counts.npz"
# report_overview's folder of plots; it also holds the long tables the multi-model DVC charts draw.
PLOTS = "results/plots"
# External files (params `reviews.path`, `features.csv_path`) live here: DVC depends on the folder.
EXTERNAL = "data/external"
TRAIN_OUTPUT_ARGS = (" --model-out {output.model} --metrics-out {output.metrics}"
                     " --history-out {output.history} --samples-out {output.samples}")
RESUMABLE_ARGS = TRAIN_OUTPUT_ARGS + " --checkpoint {params.checkpoint} --log-file {log}"

STAGES: dict[str, Stage] = {stage.name: stage for stage in [
    Stage(
        "fetch_reviews",
        args="--reviews-out {output.reviews} --source-features-out {output.source_features}"
             " --truth-out {output.truth} --report-out {output.report} --log-file {log}",
        outputs={"reviews": Output(RAW_REVIEWS),
                 "source_features": Output(SOURCE_FEATURES),
                 "truth": Output(TRUTH), "report": Output("data/raw/reviews_report.json")},
        params=("reviews",), external=("reviews.path",), resources=DATA,
    ),
    Stage(
        "fetch_features",
        args="--reviews {input.reviews} --source-features {input.source_features}"
             " --features-out {output.features} --report-out {output.report} --log-file {log}",
        inputs={"reviews": RAW_REVIEWS, "source_features": SOURCE_FEATURES},
        outputs={"features": Output(FEATURES), "report": Output("data/raw/features_report.json")},
        params=("features",), external=("features.csv_path",), resources=DATA,
    ),
    Stage(
        "join",
        args="--reviews {input.reviews} --features {input.features}"
             " --reviews-out {output.reviews} --report-out {output.report} --log-file {log}",
        inputs={"reviews": RAW_REVIEWS, "features": FEATURES},
        outputs={"reviews": Output(JOINED_REVIEWS),
                 "report": Output("data/interim/join_report.json")},
        params=("join",), resources=DATA,
    ),
    Stage(
        "split_sentences",
        args="--reviews {input.reviews}"
             " --sentences-out {output.sentences} --report-out {output.report} --log-file {log}",
        inputs={"reviews": JOINED_REVIEWS},
        outputs={"sentences": Output(SENTENCES), "report": Output("data/processed/sentences_report.json")},
        params=("sentences",), resources=DATA,
    ),
    Stage(
        "build_vocab",
        args="--sentences {input.sentences} --words-out {output.words} --chars-out {output.chars}"
             " --report-out {output.report} --log-file {log}",
        inputs={"sentences": SENTENCES},
        outputs={"words": Output(WORDS), "chars": Output(CHARS),
                 "report": Output("data/processed/vocab_report.json")},
        params=("vocab",), resources=DATA,
    ),
    Stage(
        "build_tense_data",
        args="--out-dir {params.out_dir} --log-file {log}",
        outputs={name: Output(path) for name, path in TENSE.items()},
        params=("tense_data",), folders={"out_dir": "output.train"}, resources=DATA,
    ),
    Stage(
        "train_ngram",
        args="--sentences {input.sentences} --vocab {input.vocab} --counts-out {output.counts}"
             + TRAIN_OUTPUT_ARGS + " --log-file {log}",
        inputs={"sentences": SENTENCES, "vocab": CHARS},
        # The counts as plain arrays beside the model file: what `reviewgen sample` reads, without torch.
        outputs=_training("charlm-ngram", plot_y="valid_bits_per_char") | {"counts": Output(NGRAM_COUNTS)},
        params=("charlm.data", "charlm.sampling", "charlm.ngram"),
        resources=Resources(threads=1, mem_mb=4000, runtime=30, benchmark=True),
    ),
    Stage(
        "train_charlm",
        args="--arch {wildcards.arch} --sentences {input.sentences} --vocab {input.vocab} --onnx-out {output.onnx}"
             + RESUMABLE_ARGS,
        inputs={"sentences": SENTENCES, "vocab": CHARS},
        # The ONNX export beside the model file: what `reviewgen sample` runs, without importing torch.
        outputs=_training("charlm-{arch}") | {"onnx": Output(CHARLM_ONNX, folder=True)},
        params=("charlm.data", "charlm.sampling", "charlm.{arch}", "runtime"),
        repeat=Repeat("charlm.archs", "arch"), checkpoint="results/checkpoints/charlm-{arch}.pt",
        # A second thread does not speed up a character RNN at batch 64, so on 2 cores two
        # architectures train side by side instead.
        resources=replace(TRAIN, threads=1),
    ),
    Stage(
        "train_wordlm",
        args="--sentences {input.sentences} --vocab {input.vocab} --truth {input.truth} --onnx-out {output.onnx}"
             + RESUMABLE_ARGS,
        inputs={"sentences": SENTENCES, "vocab": WORDS, "truth": TRUTH},
        # The ONNX export beside the model file: what `reviewgen sample --model wordlm` runs, without torch.
        outputs=_training("wordlm") | {"onnx": Output(WORDLM_ONNX, folder=True)},
        params=("wordlm", "runtime"), checkpoint="results/checkpoints/wordlm.pt", resources=TRAIN,
    ),
    Stage(
        "train_sentence_vae",
        args="--sentences {input.sentences} --vocab {input.vocab} --onnx-out {output.onnx}" + RESUMABLE_ARGS,
        inputs={"sentences": SENTENCES, "vocab": WORDS},
        # The ONNX export beside the model file: what `reviewgen interpolate` runs, without torch.
        outputs=_training("sentence_vae") | {"onnx": Output(SENTENCE_VAE_ONNX, folder=True)},
        params=("sentence_vae", "runtime"), checkpoint="results/checkpoints/sentence_vae.pt", resources=TRAIN,
    ),
    Stage(
        "train_tense_cvae",
        args="--variant {wildcards.variant} --tense-dir {params.tense_dir} --onnx-out {output.onnx}" + RESUMABLE_ARGS,
        inputs=dict(TENSE),
        # The ONNX export beside the model file: what `reviewgen tense` runs, without importing torch.
        outputs=_training("tense_cvae-{variant}") | {"onnx": Output(TENSE_ONNX, folder=True)},
        params=("tense", "tense_variants.{variant}", "runtime"),
        repeat=Repeat("tense_variants", "variant", keys=True), checkpoint="results/checkpoints/tense_cvae-{variant}.pt",
        folders={"tense_dir": "input.train"}, resources=TRAIN,
    ),
    Stage(
        "report_wordfreq",
        args="--model {input.model} --vocab {input.vocab} --truth {input.truth}"
             " --out-dir {output.out_dir} --metrics-out {output.metrics} --log-file {log}",
        inputs={"model": "results/models/wordlm.pt", "vocab": WORDS, "truth": TRUTH},
        outputs={"out_dir": Output("results/wordfreq", folder=True),
                 "metrics": Output("results/report_metrics/wordfreq.json", "metric")},
        params=("wordfreq",),
    ),
    Stage(
        "report_overview",
        args="--charlm-out {output.charlm} --plots-dir {output.plots}"
             " --runs-csv {output.runs_csv} --runs-md {output.runs_md} --log-file {log}",
        collect={
            "charlm_metrics": Collect("results/metrics", (("train_ngram", "metrics"), ("train_charlm", "metrics"))),
            "charlm_samples": Collect("results/samples", (("train_ngram", "samples"), ("train_charlm", "samples"))),
            "histories": Collect("results/histories", (
                ("train_charlm", "history"), ("train_wordlm", "history"), ("train_sentence_vae", "history"),
                ("train_tense_cvae", "history"))),
            "metrics": Collect("results/metrics", (
                ("train_ngram", "metrics"), ("train_charlm", "metrics"), ("train_wordlm", "metrics"),
                ("train_sentence_vae", "metrics"), ("train_tense_cvae", "metrics"))),
        },
        outputs={"charlm": Output("results/charlm/comparison.md"), "plots": Output(PLOTS, folder=True),
                 "runs_csv": Output("results/runs.csv"), "runs_md": Output("results/runs.md")},
        params=("charlm.archs", "tense_variants"),
    ),
    Stage(
        "report_homotopy",
        args="--model {input.model} --vocab {input.vocab} --sentences {input.sentences}"
             " --md-out {output.md} --csv-out {output.csv} --reconstructions-out {output.reconstructions}"
             " --samples-out {output.samples} --metrics-out {output.metrics} --log-file {log}",
        inputs={"model": "results/models/sentence_vae.pt", "vocab": WORDS, "sentences": SENTENCES},
        outputs={"md": Output("results/homotopies.md"), "csv": Output("results/homotopies.csv"),
                 "reconstructions": Output("results/sentence_vae/reconstructions.md"),
                 "samples": Output("results/sentence_vae/prior_samples.txt"),
                 "metrics": Output("results/report_metrics/homotopy.json", "metric")},
        params=("homotopy",),
    ),
    Stage(
        "report_tense",
        args="--tense-dir {params.tense_dir} --out-dir {output.out_dir} --metrics-out {output.metrics}"
             " --log-file {log}",
        inputs=dict(TENSE),
        collect={
            "models": Collect("results/models", (("train_tense_cvae", "model"),)),
            "histories": Collect("results/histories", (("train_tense_cvae", "history"),)),
            "metrics": Collect("results/metrics", (("train_tense_cvae", "metrics"),)),
        },
        outputs={"out_dir": Output("results/tense", folder=True),
                 "metrics": Output("results/report_metrics/tense_report.json", "metric")},
        params=("tense_report", "tense_variants"), folders={"tense_dir": "input.train"},
    ),
]}


def expand_path(path: str, stage: Stage, lookup: Callable[[str], Any]) -> list[str]:
    """``path`` for every model params names (one path for a stage that is not repeated)."""
    if stage.repeat is None:
        return [path]
    return [path.replace(f"{{{stage.repeat.wildcard}}}", value) for value in stage.repeat.values(lookup)]


def collected(collect: Collect, lookup: Callable[[str], Any]) -> list[str]:
    """The files ``collect`` names for the models params lists now, in the order of its sources."""
    return [path for name, output in collect.sources
            for path in expand_path(STAGES[name].outputs[output].path, STAGES[name], lookup)]


def collected_inputs(stage_name: str, cfg: Mapping[str, Any]) -> dict[str, list[str]]:
    """A report's collected input files from its params sections (``cfg`` as ``stage_config`` returns
    it: keyed by the dotted section names the stage declares)."""
    return {name: collected(c, cfg.__getitem__) for name, c in STAGES[stage_name].collect.items()}


def lookup_in(params: Mapping[str, Any]) -> Callable[[str], Any]:
    """A dotted-key getter on a whole params mapping: ``lookup_in(p)("charlm.archs")``."""
    def lookup(key: str) -> Any:
        node: Any = params
        for part in key.split("."):
            node = node[part]
        return node
    return lookup


@dataclass(frozen=True)
class Chart:
    """A top-level DVC plot: the same history columns of several models on one chart, by epoch.

    DVC resolves ``${...}`` there but cannot expand a params list into files (no foreach), and a folder
    is one chart per file. So a chart over a repeated stage draws ``table``, a long table (model, epoch,
    columns) report_overview writes from every history params names: dvc.yaml names no model."""

    title: str
    y: tuple[str, ...]
    sources: tuple[tuple[str, str], ...]  # (stage, output) of plot outputs; repeated stages expand

    @property
    def across_models(self) -> bool:
        return any(STAGES[name].repeat is not None for name, _ in self.sources)

    def table(self, chart_id: str) -> str:
        return f"{PLOTS}/{chart_id}.csv"

    def histories(self, lookup: Callable[[str], Any]) -> list[str]:
        """The history files the chart draws, for the models params lists now."""
        return [path for name, output in self.sources
                for path in expand_path(STAGES[name].outputs[output].path, STAGES[name], lookup)]


def _history(*stages: str) -> tuple[tuple[str, str], ...]:
    return tuple((stage, "history") for stage in stages)


# The n-gram char LM is left out of the char LM chart: it reports bits per char, the others nats per char.
CHARTS: dict[str, Chart] = {
    "charlm_valid_loss": Chart("Char LMs, validation loss", ("valid_loss",), _history("train_charlm")),
    "wordlm_loss": Chart("Word LM, losses", ("train_loss", "valid_loss"), _history("train_wordlm")),
    "sentence_vae_loss": Chart("Sentence VAE, losses", ("train_loss", "valid_loss", "valid_nll"),
                               _history("train_sentence_vae")),
    "sentence_vae_kl": Chart("Sentence VAE, KL term and its weight", ("train_kl", "valid_kl", "kl_weight"),
                             _history("train_sentence_vae")),
    "tense_valid_loss": Chart("Tense CVAE variants, validation loss", ("valid_loss",), _history("train_tense_cvae")),
    "tense_bleu": Chart("Tense CVAE variants, validation BLEU", ("bleu_valid",), _history("train_tense_cvae")),
    "tense_kl": Chart("Tense CVAE variants, validation KL", ("valid_kl",), _history("train_tense_cvae")),
}


def chart_tables(cfg: Mapping[str, Any]) -> dict[str, tuple[tuple[str, ...], list[str]]]:
    """report_overview's long tables: ``{chart id: (columns, history files)}`` for each chart over
    several models, from its params sections (``cfg`` as ``stage_config`` returns it)."""
    return {chart_id: (chart.y, chart.histories(cfg.__getitem__))
            for chart_id, chart in CHARTS.items() if chart.across_models}
