# Report stages: tables, plots and word clouds from the trained models and their results. Each output
# meant for people is wrapped in report() (common.smk) so `snakemake --report results/report.html`
# collects it. report_overview and report_tense read every model params names.


rule report_wordfreq:
    input:
        **stage_inputs("report_wordfreq"),
    output:
        **stage_outputs("report_wordfreq"),
    log:
        stage_log("report_wordfreq"),
    params:
        **stage_params("report_wordfreq"),
    threads: stage_threads("report_wordfreq")
    resources:
        **stage_resources("report_wordfreq"),
    conda:
        ENV
    shell:
        stage_shell("report_wordfreq")


rule report_overview:
    input:
        **stage_inputs("report_overview"),
    output:
        **stage_outputs("report_overview"),
    log:
        stage_log("report_overview"),
    params:
        **stage_params("report_overview"),
    threads: stage_threads("report_overview")
    resources:
        **stage_resources("report_overview"),
    conda:
        ENV
    shell:
        stage_shell("report_overview")


rule report_homotopy:
    input:
        **stage_inputs("report_homotopy"),
    output:
        **stage_outputs("report_homotopy"),
    log:
        stage_log("report_homotopy"),
    params:
        **stage_params("report_homotopy"),
    threads: stage_threads("report_homotopy")
    resources:
        **stage_resources("report_homotopy"),
    conda:
        ENV
    shell:
        stage_shell("report_homotopy")


rule report_tense:
    input:
        **stage_inputs("report_tense"),
    output:
        **stage_outputs("report_tense"),
    log:
        stage_log("report_tense"),
    params:
        **stage_params("report_tense"),
    threads: stage_threads("report_tense")
    resources:
        **stage_resources("report_tense"),
    conda:
        ENV
    shell:
        stage_shell("report_tense")
