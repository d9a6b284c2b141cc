"""Stage report_tense: conversion tables, generation from noise, and the comparison of tense-VAE variants.

The variants are the keys of tense_variants in params, read at the paths train_tense_cvae writes
(reviewgen.pipeline.stages), so a variant added in params.yaml is compared too.
"""

from pathlib import Path

from reviewgen.config import stage_config
from reviewgen.io import atomic_directory, write_json
from reviewgen.pipeline.stages import collected_inputs
from reviewgen.reports.tense import write_tense_report
from reviewgen.stage import run_stage, stage_parser


def by_variant(variants: list[str], paths: list[str]) -> dict[str, Path]:
    return {variant: Path(path) for variant, path in zip(variants, paths, strict=True)}


def main() -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--tense-dir", required=True)
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--metrics-out", required=True)
    args = parser.parse_args()
    cfg = stage_config(args, ["tense_report", "tense_variants"])
    variants = list(cfg["tense_variants"])
    inputs = collected_inputs("report_tense", cfg)
    # Built aside and renamed, so a killed stage never leaves a directory that looks finished.
    with atomic_directory(args.out_dir) as out_dir:
        summary = write_tense_report(
            by_variant(variants, inputs["models"]), by_variant(variants, inputs["histories"]),
            by_variant(variants, inputs["metrics"]), Path(args.tense_dir), cfg["tense_report"], out_dir,
        )
    write_json(args.metrics_out, summary)


if __name__ == "__main__":
    run_stage(main)
