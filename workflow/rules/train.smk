# Training stages. Each writes a model, its metrics, its training history and text samples, and is one
# MLflow run. Checkpoints (results/checkpoints/) are not outputs, so a killed job resumes on rerun.
# benchmark: leaves each job's wall time and peak memory in results/benchmarks/jobs/ (on the cluster too).
# train_charlm and train_tense_cvae run once per entry of charlm.archs / tense_variants in params.


rule train_ngram:
    input:
        **stage_inputs("train_ngram"),
    output:
        **stage_outputs("train_ngram"),
    log:
        stage_log("train_ngram"),
    benchmark:
        stage_benchmark("train_ngram")
    params:
        **stage_params("train_ngram"),
    threads: stage_threads("train_ngram")
    resources:
        **stage_resources("train_ngram"),
    conda:
        ENV
    shell:
        stage_shell("train_ngram")


rule train_charlm:
    input:
        **stage_inputs("train_charlm"),
    output:
        **stage_outputs("train_charlm"),
    log:
        stage_log("train_charlm"),
    benchmark:
        stage_benchmark("train_charlm")
    params:
        **stage_params("train_charlm"),
    threads: stage_threads("train_charlm")
    resources:
        **stage_resources("train_charlm"),
    conda:
        ENV
    shell:
        stage_shell("train_charlm")


rule train_wordlm:
    input:
        **stage_inputs("train_wordlm"),
    output:
        **stage_outputs("train_wordlm"),
    log:
        stage_log("train_wordlm"),
    benchmark:
        stage_benchmark("train_wordlm")
    params:
        **stage_params("train_wordlm"),
    threads: stage_threads("train_wordlm")
    resources:
        **stage_resources("train_wordlm"),
    conda:
        ENV
    shell:
        stage_shell("train_wordlm")


rule train_sentence_vae:
    input:
        **stage_inputs("train_sentence_vae"),
    output:
        **stage_outputs("train_sentence_vae"),
    log:
        stage_log("train_sentence_vae"),
    benchmark:
        stage_benchmark("train_sentence_vae")
    params:
        **stage_params("train_sentence_vae"),
    threads: stage_threads("train_sentence_vae")
    resources:
        **stage_resources("train_sentence_vae"),
    conda:
        ENV
    shell:
        stage_shell("train_sentence_vae")


rule train_tense_cvae:
    input:
        **stage_inputs("train_tense_cvae"),
    output:
        **stage_outputs("train_tense_cvae"),
    log:
        stage_log("train_tense_cvae"),
    benchmark:
        stage_benchmark("train_tense_cvae")
    params:
        **stage_params("train_tense_cvae"),
    threads: stage_threads("train_tense_cvae")
    resources:
        **stage_resources("train_tense_cvae"),
    conda:
        ENV
    shell:
        stage_shell("train_tense_cvae")
