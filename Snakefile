# reviewgen for Snakemake: the same stages as dvc.yaml, reading the same params.yaml.
#   snakemake --cores 2                       # local
#   snakemake --configfile params/full.yaml   # research scale on top of params.yaml
from snakemake.utils import min_version


min_version("9.0")


configfile: "params.yaml"
from snakemake.utils import validate
validate(config, "workflow/schemas/params.schema.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/sweep.smk"


rule all:
    input:
        rules.build_vocab.output,
        rules.build_tense_data.output,
        rules.train_ngram.output,
        expand(rules.train_charlm.output, arch=CHARLM_ARCHS),
        rules.train_wordlm.output,
        rules.train_sentence_vae.output,
        expand(rules.train_tense_cvae.output, variant=TENSE_VARIANTS),
        rules.report_wordfreq.output,
        rules.report_overview.output,
        rules.report_homotopy.output,
        rules.report_tense.output,
    default_target: True
