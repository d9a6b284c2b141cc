# reviewgen for Snakemake: the same stages as dvc.yaml, reading the same params.yaml.
#   snakemake --cores 2                       # local
#   snakemake --configfile params/full.yaml   # research scale on top of params.yaml
configfile: "params.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"


rule all:
    input:
        rules.build_vocab.output,
        rules.build_tense_data.output,
    default_target: True
