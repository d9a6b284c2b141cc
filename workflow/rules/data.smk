# Data stages: reviews and features in, sentences, vocabularies and the tense dataset out.
# Directive order: input, output, params, shell. They are short, so on a cluster they run on the
# node that runs Snakemake rather than waiting in a queue (fetch_features may also need the internet). Inputs list the script and the library modules
# it runs (as dvc.yaml's deps do), so a code change reruns the stage in both tools.


localrules:
    fetch_reviews,
    fetch_features,
    join,
    split_sentences,
    build_vocab,
    build_tense_data,


rule fetch_reviews:
    input:
        script="workflow/scripts/fetch_reviews.py",
        code=[
            "src/reviewgen/data/reviews.py",
            "src/reviewgen/data/synthetic/__init__.py",
            "src/reviewgen/data/synthetic/background.py",
            "src/reviewgen/data/synthetic/corpus.py",
            "src/reviewgen/data/synthetic/grammar.py",
            "src/reviewgen/data/synthetic/lexicon.py",
            "src/reviewgen/data/synthetic/phrases.py",
            "src/reviewgen/data/synthetic/world.py",
        ],
    output:
        reviews="data/raw/reviews.parquet",
        source_features="data/raw/source_features.csv",
        truth="data/raw/synthetic_truth.json",
        report="data/raw/reviews_report.json",
    log:
        "logs/fetch_reviews.log",
    params:
        config=stage_config("reviews"),
    shell:
        "python {input.script} --config-json {params.config:q}"
        " --reviews-out {output.reviews} --source-features-out {output.source_features}"
        " --truth-out {output.truth} --report-out {output.report} --log-file {log}"


rule fetch_features:
    input:
        script="workflow/scripts/fetch_features.py",
        code=[
            "src/reviewgen/data/feature_ranges.py",
            "src/reviewgen/data/features.py",
            "src/reviewgen/data/join.py",
            "src/reviewgen/data/spotify.py",
        ],
        reviews="data/raw/reviews.parquet",
        source_features="data/raw/source_features.csv",
    output:
        features="data/raw/features.csv",
        report="data/raw/features_report.json",
    log:
        "logs/fetch_features.log",
    params:
        config=stage_config("features"),
    shell:
        "python {input.script} --config-json {params.config:q}"
        " --reviews {input.reviews} --source-features {input.source_features}"
        " --features-out {output.features} --report-out {output.report} --log-file {log}"


rule join:
    input:
        script="workflow/scripts/join.py",
        code="src/reviewgen/data/join.py",
        reviews="data/raw/reviews.parquet",
        features="data/raw/features.csv",
    output:
        reviews="data/interim/reviews.parquet",
        report="data/interim/join_report.json",
    log:
        "logs/join.log",
    params:
        config=stage_config("join"),
    shell:
        "python {input.script} --config-json {params.config:q}"
        " --reviews {input.reviews} --features {input.features}"
        " --reviews-out {output.reviews} --report-out {output.report} --log-file {log}"


rule split_sentences:
    input:
        script="workflow/scripts/split_sentences.py",
        code="src/reviewgen/data/sentences.py",
        reviews="data/interim/reviews.parquet",
    output:
        sentences="data/processed/sentences.parquet",
        report="data/processed/sentences_report.json",
    log:
        "logs/split_sentences.log",
    params:
        config=stage_config("sentences"),
    shell:
        "python {input.script} --config-json {params.config:q}"
        " --reviews {input.reviews}"
        " --sentences-out {output.sentences} --report-out {output.report} --log-file {log}"


rule build_vocab:
    input:
        script="workflow/scripts/build_vocab.py",
        code="src/reviewgen/data/vocab.py",
        sentences="data/processed/sentences.parquet",
    output:
        words="data/processed/vocab_words.json",
        chars="data/processed/vocab_chars.json",
        report="data/processed/vocab_report.json",
    log:
        "logs/build_vocab.log",
    params:
        config=stage_config("vocab"),
    shell:
        "python {input.script} --config-json {params.config:q}"
        " --sentences {input.sentences}"
        " --words-out {output.words} --chars-out {output.chars} --report-out {output.report} --log-file {log}"


rule build_tense_data:
    input:
        script="workflow/scripts/build_tense_data.py",
        code="src/reviewgen/data/tenses.py",
    output:
        train="data/processed/tense/train.txt",
        valid="data/processed/tense/valid.txt",
        test="data/processed/tense/test.txt",
        reference="data/processed/tense/reference.txt",
    log:
        "logs/build_tense_data.log",
    params:
        config=stage_config("tense_data"),
    shell:
        "python {input.script} --config-json {params.config:q}"
        " --out-dir data/processed/tense --log-file {log}"
