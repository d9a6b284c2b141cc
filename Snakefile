# reviewgen for Snakemake: the same stages as dvc.yaml (both from src/reviewgen/pipeline/stages.py),
# reading the same params.yaml.
#   snakemake --cores 2                       # local
#   snakemake --configfile params/full.yaml   # research scale on top of params.yaml
from snakemake.utils import min_version


min_version("9.0")


configfile: "params.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/sweep.smk"


rule all:
    input:
        all_outputs(),
    default_target: True
