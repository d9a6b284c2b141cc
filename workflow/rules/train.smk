# Training stages. Each writes a model, its metrics, its training history and text samples, and is one
# MLflow run. Checkpoints (results/checkpoints/) are not outputs, so a killed job resumes on rerun.
# benchmark: leaves each job's wall time and peak memory in results/benchmarks/jobs/ (on the cluster too).

CHARLM_ARCHS = config["charlm"]["archs"]
TENSE_VARIANTS = list(config["tense_variants"])
# Per-job requests for a cluster. `gpu` maps to sbatch --gpus; partitions come from the profile, and a
# CPU-only cluster sets gpu: 0 there (see slurm/config.yaml). Locally these only bound parallelism.
# The runtime (minutes) grows with the attempt: a job retried after hitting its time limit (the
# profile's `retries`) gets more time, and resumes from its checkpoint instead of starting over.
TRAIN_RESOURCES = dict(gpu=1, mem_mb=4000, runtime=lambda wildcards, attempt: 120 * attempt)


wildcard_constraints:
    arch="|".join(CHARLM_ARCHS),
    variant="|".join(TENSE_VARIANTS),


rule train_ngram:
    input:
        script="workflow/scripts/train_ngram.py",
        code=[
            "src/reviewgen/experiments/charlm.py",
            "src/reviewgen/experiments/lm_data.py",
            "src/reviewgen/models/charrnn.py",
            "src/reviewgen/models/ngram.py",
            "src/reviewgen/training/trainer.py",
            "src/reviewgen/experiments/runner.py",
            "src/reviewgen/training/streams.py",
        ],
        sentences="data/processed/sentences.parquet",
        vocab="data/processed/vocab_chars.json",
    output:
        model="results/models/charlm-ngram.pt",
        metrics="results/metrics/charlm-ngram.json",
        history="results/histories/charlm-ngram.csv",
        samples="results/samples/charlm-ngram.txt",
    log:
        "logs/train_ngram.log",
    benchmark:
        "results/benchmarks/jobs/train_ngram.tsv"
    params:
        config=stage_config("charlm.data", "charlm.sampling", "charlm.ngram"),
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    shell:
        "python {input.script} --config-json {params.config:q}"
        " --sentences {input.sentences} --vocab {input.vocab}"
        " --model-out {output.model} --metrics-out {output.metrics}"
        " --history-out {output.history} --samples-out {output.samples} --log-file {log}"


rule train_charlm:
    input:
        script="workflow/scripts/train_charlm.py",
        code=[
            "src/reviewgen/experiments/charlm.py",
            "src/reviewgen/experiments/lm_data.py",
            "src/reviewgen/models/charrnn.py",
            "src/reviewgen/models/ngram.py",
            "src/reviewgen/training/trainer.py",
            "src/reviewgen/experiments/runner.py",
            "src/reviewgen/training/streams.py",
        ],
        sentences="data/processed/sentences.parquet",
        vocab="data/processed/vocab_chars.json",
    output:
        model="results/models/charlm-{arch}.pt",
        metrics="results/metrics/charlm-{arch}.json",
        history="results/histories/charlm-{arch}.csv",
        samples="results/samples/charlm-{arch}.txt",
    log:
        "logs/train_charlm@{arch}.log",
    benchmark:
        "results/benchmarks/jobs/train_charlm-{arch}.tsv"
    params:
        config=lambda wc: stage_config("charlm.data", "charlm.sampling", f"charlm.{wc.arch}", "runtime"),
        checkpoint="results/checkpoints/charlm-{arch}.pt",
    # A second thread does not speed up a character RNN at batch 64 (make bench; docs/performance.md),
    # so on 2 cores two architectures train side by side instead.
    threads: 1
    resources:
        **TRAIN_RESOURCES,
    shell:
        "python {input.script} --config-json {params.config:q} --arch {wildcards.arch}"
        " --sentences {input.sentences} --vocab {input.vocab}"
        " --model-out {output.model} --metrics-out {output.metrics}"
        " --history-out {output.history} --samples-out {output.samples}"
        " --checkpoint {params.checkpoint} --log-file {log}"


rule train_wordlm:
    input:
        script="workflow/scripts/train_wordlm.py",
        code=[
            "src/reviewgen/experiments/wordlm.py",
            "src/reviewgen/experiments/lm_data.py",
            "src/reviewgen/evaluation/conditioning.py",
            "src/reviewgen/data/scaling.py",
            "src/reviewgen/models/ngram.py",
            "src/reviewgen/models/wordlm.py",
            "src/reviewgen/training/trainer.py",
            "src/reviewgen/experiments/runner.py",
        ],
        sentences="data/processed/sentences.parquet",
        vocab="data/processed/vocab_words.json",
        truth="data/raw/synthetic_truth.json",
    output:
        model="results/models/wordlm.pt",
        metrics="results/metrics/wordlm.json",
        history="results/histories/wordlm.csv",
        samples="results/samples/wordlm.txt",
    log:
        "logs/train_wordlm.log",
    benchmark:
        "results/benchmarks/jobs/train_wordlm.tsv"
    params:
        config=stage_config("wordlm", "runtime"),
        checkpoint="results/checkpoints/wordlm.pt",
    threads: 2
    resources:
        **TRAIN_RESOURCES,
    shell:
        "python {input.script} --config-json {params.config:q}"
        " --sentences {input.sentences} --vocab {input.vocab} --truth {input.truth}"
        " --model-out {output.model} --metrics-out {output.metrics}"
        " --history-out {output.history} --samples-out {output.samples}"
        " --checkpoint {params.checkpoint} --log-file {log}"


rule train_sentence_vae:
    input:
        script="workflow/scripts/train_sentence_vae.py",
        code=[
            "src/reviewgen/experiments/sentence_vae.py",
            "src/reviewgen/experiments/lm_data.py",
            "src/reviewgen/data/detokenize.py",
            "src/reviewgen/models/ngram.py",
            "src/reviewgen/models/recurrent.py",
            "src/reviewgen/models/sentence_vae.py",
            "src/reviewgen/models/vae.py",
            "src/reviewgen/models/wordlm.py",
            "src/reviewgen/training/schedules.py",
            "src/reviewgen/training/trainer.py",
            "src/reviewgen/experiments/runner.py",
        ],
        sentences="data/processed/sentences.parquet",
        vocab="data/processed/vocab_words.json",
    output:
        model="results/models/sentence_vae.pt",
        metrics="results/metrics/sentence_vae.json",
        history="results/histories/sentence_vae.csv",
        samples="results/samples/sentence_vae.txt",
    log:
        "logs/train_sentence_vae.log",
    benchmark:
        "results/benchmarks/jobs/train_sentence_vae.tsv"
    params:
        config=stage_config("sentence_vae", "runtime"),
        checkpoint="results/checkpoints/sentence_vae.pt",
    threads: 2
    resources:
        **TRAIN_RESOURCES,
    shell:
        "python {input.script} --config-json {params.config:q}"
        " --sentences {input.sentences} --vocab {input.vocab}"
        " --model-out {output.model} --metrics-out {output.metrics}"
        " --history-out {output.history} --samples-out {output.samples}"
        " --checkpoint {params.checkpoint} --log-file {log}"


rule train_tense_cvae:
    input:
        script="workflow/scripts/train_tense_cvae.py",
        code=[
            "src/reviewgen/experiments/tense_cvae.py",
            "src/reviewgen/experiments/lm_data.py",
            "src/reviewgen/data/charcodec.py",
            "src/reviewgen/data/tenses.py",
            "src/reviewgen/evaluation/tense_eval.py",
            "src/reviewgen/evaluation/tense_metrics.py",
            "src/reviewgen/models/ngram.py",
            "src/reviewgen/models/recurrent.py",
            "src/reviewgen/models/sentence_vae.py",
            "src/reviewgen/models/attention.py",
            "src/reviewgen/models/tense_cvae.py",
            "src/reviewgen/models/vae.py",
            "src/reviewgen/training/schedules.py",
            "src/reviewgen/training/trainer.py",
            "src/reviewgen/experiments/runner.py",
        ],
        tense=rules.build_tense_data.output,
    output:
        model="results/models/tense_cvae-{variant}.pt",
        metrics="results/metrics/tense_cvae-{variant}.json",
        history="results/histories/tense_cvae-{variant}.csv",
        samples="results/samples/tense_cvae-{variant}.txt",
    log:
        "logs/train_tense_cvae@{variant}.log",
    benchmark:
        "results/benchmarks/jobs/train_tense_cvae-{variant}.tsv"
    params:
        config=lambda wc: stage_config("tense", f"tense_variants.{wc.variant}", "runtime"),
        checkpoint="results/checkpoints/tense_cvae-{variant}.pt",
    threads: 2
    resources:
        **TRAIN_RESOURCES,
    shell:
        "python {input.script} --config-json {params.config:q} --variant {wildcards.variant}"
        " --tense-dir data/processed/tense"
        " --model-out {output.model} --metrics-out {output.metrics}"
        " --history-out {output.history} --samples-out {output.samples}"
        " --checkpoint {params.checkpoint} --log-file {log}"
