# Data stages: reviews and features in, sentences, vocabularies and the tense dataset out. They take
# seconds, so on a cluster they run on the node that runs Snakemake rather than waiting in a queue
# (fetch_features may also need the internet). Every rule reads its facts from the stage table
# (src/reviewgen/pipeline/stages.py) through common.smk; directives in the order:
# input, output, log, benchmark, params, threads, resources, localrule, conda, shell.


rule fetch_reviews:
    input:
        **stage_inputs("fetch_reviews"),
    output:
        **stage_outputs("fetch_reviews"),
    log:
        stage_log("fetch_reviews"),
    params:
        **stage_params("fetch_reviews"),
    threads: stage_threads("fetch_reviews")
    resources:
        **stage_resources("fetch_reviews"),
    localrule: is_local("fetch_reviews")
    conda:
        ENV
    shell:
        stage_shell("fetch_reviews")


rule fetch_features:
    input:
        **stage_inputs("fetch_features"),
    output:
        **stage_outputs("fetch_features"),
    log:
        stage_log("fetch_features"),
    params:
        **stage_params("fetch_features"),
    threads: stage_threads("fetch_features")
    resources:
        **stage_resources("fetch_features"),
    localrule: is_local("fetch_features")
    conda:
        ENV
    shell:
        stage_shell("fetch_features")


rule join:
    input:
        **stage_inputs("join"),
    output:
        **stage_outputs("join"),
    log:
        stage_log("join"),
    params:
        **stage_params("join"),
    threads: stage_threads("join")
    resources:
        **stage_resources("join"),
    localrule: is_local("join")
    conda:
        ENV
    shell:
        stage_shell("join")


rule split_sentences:
    input:
        **stage_inputs("split_sentences"),
    output:
        **stage_outputs("split_sentences"),
    log:
        stage_log("split_sentences"),
    params:
        **stage_params("split_sentences"),
    threads: stage_threads("split_sentences")
    resources:
        **stage_resources("split_sentences"),
    localrule: is_local("split_sentences")
    conda:
        ENV
    shell:
        stage_shell("split_sentences")


rule build_vocab:
    input:
        **stage_inputs("build_vocab"),
    output:
        **stage_outputs("build_vocab"),
    log:
        stage_log("build_vocab"),
    params:
        **stage_params("build_vocab"),
    threads: stage_threads("build_vocab")
    resources:
        **stage_resources("build_vocab"),
    localrule: is_local("build_vocab")
    conda:
        ENV
    shell:
        stage_shell("build_vocab")


rule build_tense_data:
    input:
        **stage_inputs("build_tense_data"),
    output:
        **stage_outputs("build_tense_data"),
    log:
        stage_log("build_tense_data"),
    params:
        **stage_params("build_tense_data"),
    threads: stage_threads("build_tense_data")
    resources:
        **stage_resources("build_tense_data"),
    localrule: is_local("build_tense_data")
    conda:
        ENV
    shell:
        stage_shell("build_tense_data")
