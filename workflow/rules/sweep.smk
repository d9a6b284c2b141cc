# Sweeps (params.yaml `sweeps:`): `snakemake --cores 4 sweeps`, or `--profile slurm` to run every point as
# its own cluster job. Not part of `all`: a sweep is asked for, not run on every change.
from reviewgen.sweeps import grid_points

SWEEPS = config.get("sweeps", {})
POINTS = {name: dict(grid_points(sweep, name)) for name, sweep in SWEEPS.items()}


def sweeps_of(stage):
    return [name for name, sweep in SWEEPS.items() if sweep["stage"] == stage] or ["__none__"]


def point_outputs():
    return dict(
        model="results/sweeps/{sweep}/{point}/model.pt",
        metrics="results/sweeps/{sweep}/{point}/metrics.json",
        history="results/sweeps/{sweep}/{point}/history.csv",
        samples="results/sweeps/{sweep}/{point}/samples.txt",
    )


# The point's own tags (sweep, point, parent run) reach tracking through the environment.
POINT_SHELL = (
    "export REVIEWGEN_RUN_TAGS=\"$(python workflow/scripts/sweep.py tags --parent {input.parent:q}"
    " --point {wildcards.point:q})\"; "
    "python {input.script} --config-json {params.config:q} --override {params.override:q}"
)
POINT_OUTPUT_ARGS = (
    " --model-out {output.model:q} --metrics-out {output.metrics:q} --history-out {output.history:q}"
    " --samples-out {output.samples:q} --checkpoint {params.checkpoint:q}"
)


rule sweeps:
    input:
        expand("results/sweeps/{sweep}/summary.md", sweep=SWEEPS),
        # The tense trade-off plot: Gaussian score against held-out BLEU over the KL weight.
        ["results/sweeps/tense_kl_weight/tradeoff.png"] if "tense_kl_weight" in SWEEPS else [],


rule sweep_parent:
    output:
        "results/sweeps/{sweep}/parent.json",
    params:
        config=lambda wc: stage_config(f"sweeps.{wc.sweep}"),
    localrule: True
    shell:
        "python workflow/scripts/sweep.py start --sweep {wildcards.sweep} --config-json {params.config:q} --out {output}"


rule sweep_tense_point:
    input:
        script="workflow/scripts/train_tense_cvae.py",
        tense=rules.build_tense_data.output,
        parent="results/sweeps/{sweep}/parent.json",
    output:
        **point_outputs(),
    params:
        config=stage_config("tense", "tense_variants.default", "runtime"),
        override=lambda wc: json.dumps(POINTS[wc.sweep][wc.point]),
        checkpoint="results/checkpoints/sweeps/{sweep}/{point}.pt",
    threads: 2
    resources:
        **TRAIN_RESOURCES,
    wildcard_constraints:
        sweep="|".join(sweeps_of("tense")),
    shell:
        POINT_SHELL + " --variant default --tense-dir data/processed/tense" + POINT_OUTPUT_ARGS


rule sweep_sentence_vae_point:
    input:
        script="workflow/scripts/train_sentence_vae.py",
        sentences="data/processed/sentences.parquet",
        vocab="data/processed/vocab_words.json",
        parent="results/sweeps/{sweep}/parent.json",
    output:
        **point_outputs(),
    params:
        config=stage_config("sentence_vae", "runtime"),
        override=lambda wc: json.dumps(POINTS[wc.sweep][wc.point]),
        checkpoint="results/checkpoints/sweeps/{sweep}/{point}.pt",
    threads: 2
    resources:
        **TRAIN_RESOURCES,
    wildcard_constraints:
        sweep="|".join(sweeps_of("sentence_vae")),
    shell:
        POINT_SHELL + " --sentences {input.sentences} --vocab {input.vocab}" + POINT_OUTPUT_ARGS


rule sweep_summary:
    input:
        parent="results/sweeps/{sweep}/parent.json",
        metrics=lambda wc: expand("results/sweeps/{{sweep}}/{point}/metrics.json", point=POINTS[wc.sweep]),
    output:
        md="results/sweeps/{sweep}/summary.md",
        csv="results/sweeps/{sweep}/summary.csv",
    localrule: True
    shell:
        "python workflow/scripts/sweep.py finish --parent {input.parent}"
        " --metrics {input.metrics:q} --md {output.md} --csv {output.csv}"


rule sweep_tense_tradeoff:
    input:
        script="workflow/scripts/report_tense_sweep.py",
        summary="results/sweeps/tense_kl_weight/summary.csv",
    output:
        "results/sweeps/tense_kl_weight/tradeoff.png",
    log:
        "logs/sweep_tense_tradeoff.log",
    localrule: True
    shell:
        "python {input.script} --summary {input.summary} --key kl.max_weight --out {output} --log-file {log}"
