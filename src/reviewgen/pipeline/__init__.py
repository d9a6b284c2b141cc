"""The pipeline's stages declared once (``stages``), for both orchestrators.

``dvc.yaml`` is generated from the table (``python -m reviewgen.pipeline.dvc_yaml --write``) and the
Snakemake rules read it through ``workflow/rules/common.smk``; code dependencies come from each script's
import closure (``imports``), not from hand-written lists.
"""
