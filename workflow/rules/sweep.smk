# Sweeps (params.yaml `sweeps:`): `snakemake --cores 4 sweeps`, or `--profile slurm` to run every point as
# its own cluster job. Not part of `all`: a sweep is asked for, not run on every change. A point trains
# through the stage's own script (and code, as its rule does) with the point's overrides laid on.


rule sweeps:
    input:
        expand("results/sweeps/{sweep}/summary.md", sweep=SWEEPS),
        # The tense trade-off plot: Gaussian score against held-out BLEU over the KL weight.
        ["results/sweeps/tense_kl_weight/tradeoff.png"] if "tense_kl_weight" in SWEEPS else [],


rule sweep_parent:
    output:
        "results/sweeps/{sweep}/parent.json",
    log:
        "logs/sweeps/{sweep}/parent.log",
    params:
        config=lambda wildcards: stage_config(f"sweeps.{wildcards.sweep}"),
    localrule: True
    conda:
        ENV
    shell:
        "python workflow/scripts/sweep.py start --sweep {wildcards.sweep} --config-json {params.config:q}"
        " --out {output} 2> {log}"


rule sweep_tense_point:
    input:
        script=STAGES["train_tense_cvae"].script,
        code=code_deps(ROOT, STAGES["train_tense_cvae"].script),
        tense=rules.build_tense_data.output,
        parent="results/sweeps/{sweep}/parent.json",
    output:
        **point_outputs(),
    log:
        "logs/sweeps/{sweep}/{point}.log",
    params:
        config=stage_config("tense", "tense_variants.default", "runtime"),
        override=point_override,
        checkpoint="results/checkpoints/sweeps/{sweep}/{point}.pt",
        tense_dir=lambda wildcards, input: str(Path(input.tense[0]).parent),
    threads: stage_threads("train_tense_cvae")
    resources:
        **stage_resources("train_tense_cvae"),
    wildcard_constraints:
        sweep="|".join(sweeps_of("tense")),
    conda:
        ENV
    shell:
        point_shell("--variant default --tense-dir {params.tense_dir:q}")


rule sweep_sentence_vae_point:
    input:
        script=STAGES["train_sentence_vae"].script,
        code=code_deps(ROOT, STAGES["train_sentence_vae"].script),
        sentences="data/processed/sentences.parquet",
        vocab="data/processed/vocab_words.json",
        parent="results/sweeps/{sweep}/parent.json",
    output:
        **point_outputs(),
    log:
        "logs/sweeps/{sweep}/{point}.log",
    params:
        config=stage_config("sentence_vae", "runtime"),
        override=point_override,
        checkpoint="results/checkpoints/sweeps/{sweep}/{point}.pt",
    threads: stage_threads("train_sentence_vae")
    resources:
        **stage_resources("train_sentence_vae"),
    wildcard_constraints:
        sweep="|".join(sweeps_of("sentence_vae")),
    conda:
        ENV
    shell:
        point_shell("--sentences {input.sentences:q} --vocab {input.vocab:q}")


rule sweep_summary:
    input:
        parent="results/sweeps/{sweep}/parent.json",
        metrics=lambda wildcards: expand("results/sweeps/{{sweep}}/{point}/metrics.json", point=POINTS[wildcards.sweep]),
    output:
        md="results/sweeps/{sweep}/summary.md",
        csv="results/sweeps/{sweep}/summary.csv",
    log:
        "logs/sweeps/{sweep}/summary.log",
    localrule: True
    conda:
        ENV
    shell:
        "python workflow/scripts/sweep.py finish --parent {input.parent}"
        " --metrics {input.metrics:q} --md {output.md} --csv {output.csv} 2> {log}"


rule sweep_tense_tradeoff:
    input:
        script="workflow/scripts/report_tense_sweep.py",
        code=code_deps(ROOT, "workflow/scripts/report_tense_sweep.py"),
        summary="results/sweeps/tense_kl_weight/summary.csv",
    output:
        "results/sweeps/tense_kl_weight/tradeoff.png",
    log:
        "logs/sweeps/tense_kl_weight/tradeoff.log",
    localrule: True
    conda:
        ENV
    shell:
        "python {input.script} --summary {input.summary} --key kl.max_weight --out {output} --log-file {log}"
