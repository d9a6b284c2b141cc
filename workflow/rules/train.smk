# Training stages. Each writes a model, its metrics, its training history and text samples, and is one
# MLflow run. Checkpoints (results/checkpoints/) are not outputs, so a killed job resumes on rerun.

CHARLM_ARCHS = config["charlm"]["archs"]
# Per-job requests for a cluster. `gpu` maps to sbatch --gpus; partitions come from the profile, and a
# CPU-only cluster sets gpu: 0 there (see slurm/config.yaml). Locally these only bound parallelism.
TRAIN_RESOURCES = dict(gpu=1, mem_mb=4000, runtime=120)


wildcard_constraints:
    arch="|".join(CHARLM_ARCHS),


rule train_ngram:
    input:
        script="workflow/scripts/train_ngram.py",
        code=[
            "src/reviewgen/experiments/charlm.py",
            "src/reviewgen/experiments/lm_data.py",
            "src/reviewgen/models/charrnn.py",
            "src/reviewgen/models/ngram.py",
            "src/reviewgen/training/trainer.py",
        ],
        sentences="data/processed/sentences.parquet",
        vocab="data/processed/vocab_chars.json",
    output:
        model="results/models/charlm-ngram.pt",
        metrics="results/metrics/charlm-ngram.json",
        history="results/histories/charlm-ngram.csv",
        samples="results/samples/charlm-ngram.txt",
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
        " --history-out {output.history} --samples-out {output.samples}"


rule train_charlm:
    input:
        script="workflow/scripts/train_charlm.py",
        code=[
            "src/reviewgen/experiments/charlm.py",
            "src/reviewgen/experiments/lm_data.py",
            "src/reviewgen/models/charrnn.py",
            "src/reviewgen/models/ngram.py",
            "src/reviewgen/training/trainer.py",
        ],
        sentences="data/processed/sentences.parquet",
        vocab="data/processed/vocab_chars.json",
    output:
        model="results/models/charlm-{arch}.pt",
        metrics="results/metrics/charlm-{arch}.json",
        history="results/histories/charlm-{arch}.csv",
        samples="results/samples/charlm-{arch}.txt",
    params:
        config=lambda wc: stage_config("charlm.data", "charlm.sampling", f"charlm.{wc.arch}", "runtime"),
        checkpoint="results/checkpoints/charlm-{arch}.pt",
    threads: 2
    resources:
        **TRAIN_RESOURCES,
    shell:
        "python {input.script} --config-json {params.config:q} --arch {wildcards.arch}"
        " --sentences {input.sentences} --vocab {input.vocab}"
        " --model-out {output.model} --metrics-out {output.metrics}"
        " --history-out {output.history} --samples-out {output.samples}"
        " --checkpoint {params.checkpoint}"


rule train_wordlm:
    input:
        script="workflow/scripts/train_wordlm.py",
        code=[
            "src/reviewgen/experiments/wordlm.py",
            "src/reviewgen/experiments/lm_data.py",
            "src/reviewgen/data/scaling.py",
            "src/reviewgen/models/ngram.py",
            "src/reviewgen/models/wordlm.py",
            "src/reviewgen/training/trainer.py",
        ],
        sentences="data/processed/sentences.parquet",
        vocab="data/processed/vocab_words.json",
    output:
        model="results/models/wordlm.pt",
        metrics="results/metrics/wordlm.json",
        history="results/histories/wordlm.csv",
        samples="results/samples/wordlm.txt",
    params:
        config=stage_config("wordlm", "runtime"),
        checkpoint="results/checkpoints/wordlm.pt",
    threads: 2
    resources:
        **TRAIN_RESOURCES,
    shell:
        "python {input.script} --config-json {params.config:q}"
        " --sentences {input.sentences} --vocab {input.vocab}"
        " --model-out {output.model} --metrics-out {output.metrics}"
        " --history-out {output.history} --samples-out {output.samples}"
        " --checkpoint {params.checkpoint}"
