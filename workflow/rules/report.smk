# Report stages: tables, plots and word clouds from the trained models and their results. Each output
# meant for people is wrapped in report() so `snakemake --report results/report.html` collects it.


rule report_wordfreq:
    input:
        script="workflow/scripts/report_wordfreq.py",
        code=[
            "src/reviewgen/reports/wordfreq.py",
            "src/reviewgen/evaluation/wordfreq.py",
            "src/reviewgen/evaluation/stopwords.py",
            "src/reviewgen/evaluation/tables.py",
            "src/reviewgen/data/scaling.py",
        ],
        model="results/models/wordlm.pt",
        vocab="data/processed/vocab_words.json",
        truth="data/raw/synthetic_truth.json",
    output:
        out_dir=report(
            directory("results/wordfreq"),
            patterns=["{name}.png"],
            caption="../report/wordfreq.rst",
            category="Word frequencies",
        ),
        metrics="results/metrics/wordfreq.json",
    params:
        config=stage_config("wordfreq"),
    shell:
        "python {input.script} --config-json {params.config:q}"
        " --model {input.model} --vocab {input.vocab} --truth {input.truth}"
        " --out-dir {output.out_dir} --metrics-out {output.metrics}"
