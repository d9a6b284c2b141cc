# Report stages: tables, plots and word clouds from the trained models and their results. Each output
# meant for people is wrapped in report() so `snakemake --report results/report.html` collects it.


rule report_wordfreq:
    input:
        script="workflow/scripts/report_wordfreq.py",
        code=[
            "src/reviewgen/reports/wordfreq.py",
            "src/reviewgen/evaluation/wordfreq.py",
            "src/reviewgen/evaluation/stopwords.py",
            "src/reviewgen/reports/tables.py",
            "src/reviewgen/reports/plots.py",
            "src/reviewgen/data/scaling.py",
        ],
        model="results/models/wordlm.pt",
        vocab="data/processed/vocab_words.json",
        truth="data/raw/synthetic_truth.json",
    output:
        out_dir=report(
            directory("results/wordfreq"),
            patterns=["{name}.png"],
            labels={"energy": "{name}"},
            caption="../report/wordfreq.rst",
            category="Word frequencies",
        ),
        metrics="results/metrics/wordfreq.json",
    log:
        "logs/report_wordfreq.log",
    params:
        config=stage_config("wordfreq"),
    shell:
        "python {input.script} --config-json {params.config:q}"
        " --model {input.model} --vocab {input.vocab} --truth {input.truth}"
        " --out-dir {output.out_dir} --metrics-out {output.metrics} --log-file {log}"


CHARLM_MODELS = ["ngram"] + CHARLM_ARCHS
# Every trained model (its metrics file) and every model trained by epochs (its history).
VAES = ["sentence_vae"] + [f"tense_cvae-{v}" for v in TENSE_VARIANTS]
TRAINED = [f"charlm-{m}" for m in CHARLM_MODELS] + ["wordlm"] + VAES
HISTORIES = [f"charlm-{a}" for a in CHARLM_ARCHS] + ["wordlm"] + VAES


rule report_overview:
    input:
        script="workflow/scripts/report_overview.py",
        code=[
            "src/reviewgen/reports/overview.py",
            "src/reviewgen/reports/plots.py",
            "src/reviewgen/reports/runs.py",
            "src/reviewgen/reports/tables.py",
        ],
        charlm_metrics=expand("results/metrics/charlm-{model}.json", model=CHARLM_MODELS),
        charlm_samples=expand("results/samples/charlm-{model}.txt", model=CHARLM_MODELS),
        histories=expand("results/histories/{name}.csv", name=HISTORIES),
        metrics=expand("results/metrics/{name}.json", name=TRAINED),
    output:
        charlm=report("results/charlm/comparison.md", caption="../report/charlm.rst", category="Character LMs"),
        plots=report(
            directory("results/plots"),
            patterns=["{name}.png"],
            labels={"model": "{name}"},
            caption="../report/histories.rst",
            category="Training histories",
        ),
        runs_csv="results/runs.csv",
        runs_md=report("results/runs.md", caption="../report/runs.rst", category="Runs"),
    log:
        "logs/report_overview.log",
    shell:
        "python {input.script}"
        " --charlm-metrics {input.charlm_metrics} --charlm-samples {input.charlm_samples}"
        " --histories {input.histories} --metrics {input.metrics}"
        " --charlm-out {output.charlm} --plots-dir {output.plots}"
        " --runs-csv {output.runs_csv} --runs-md {output.runs_md} --log-file {log}"


rule report_homotopy:
    input:
        script="workflow/scripts/report_homotopy.py",
        code=[
            "src/reviewgen/reports/homotopy.py",
            "src/reviewgen/evaluation/homotopy.py",
            "src/reviewgen/reports/tables.py",
            "src/reviewgen/data/sentences.py",
            "src/reviewgen/data/detokenize.py",
        ],
        model="results/models/sentence_vae.pt",
        vocab="data/processed/vocab_words.json",
        sentences="data/processed/sentences.parquet",
    output:
        md=report("results/homotopies.md", caption="../report/homotopies.rst", category="Sentence VAE"),
        csv="results/homotopies.csv",
        reconstructions=report(
            "results/sentence_vae/reconstructions.md", caption="../report/reconstructions.rst", category="Sentence VAE"
        ),
        samples="results/sentence_vae/prior_samples.txt",
        metrics="results/metrics/homotopy.json",
    log:
        "logs/report_homotopy.log",
    params:
        config=stage_config("homotopy"),
    shell:
        "python {input.script} --config-json {params.config:q}"
        " --model {input.model} --vocab {input.vocab} --sentences {input.sentences}"
        " --md-out {output.md} --csv-out {output.csv} --reconstructions-out {output.reconstructions}"
        " --samples-out {output.samples} --metrics-out {output.metrics} --log-file {log}"


rule report_tense:
    input:
        script="workflow/scripts/report_tense.py",
        code=[
            "src/reviewgen/reports/tense.py",
            "src/reviewgen/data/charcodec.py",
            "src/reviewgen/data/tenses.py",
            "src/reviewgen/reports/plots.py",
            "src/reviewgen/reports/tables.py",
            "src/reviewgen/evaluation/tense_eval.py",
            "src/reviewgen/evaluation/tense_metrics.py",
        ],
        models=expand("results/models/tense_cvae-{variant}.pt", variant=TENSE_VARIANTS),
        histories=expand("results/histories/tense_cvae-{variant}.csv", variant=TENSE_VARIANTS),
        metrics=expand("results/metrics/tense_cvae-{variant}.json", variant=TENSE_VARIANTS),
        tense=rules.build_tense_data.output,
    output:
        out_dir=report(
            directory("results/tense"),
            patterns=["{name}.png", "{name}.md"],
            caption="../report/tense.rst",
            category="Tense VAE",
        ),
        metrics="results/metrics/tense_report.json",
    log:
        "logs/report_tense.log",
    params:
        config=stage_config("tense_report"),
        variants=TENSE_VARIANTS,
    shell:
        "python {input.script} --config-json {params.config:q} --variants {params.variants}"
        " --models {input.models} --histories {input.histories} --metrics {input.metrics}"
        " --tense-dir data/processed/tense --out-dir {output.out_dir} --metrics-out {output.metrics} --log-file {log}"
