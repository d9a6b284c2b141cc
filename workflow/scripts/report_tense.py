"""Stage report_tense: conversion tables, generation from noise, and the comparison of tense-VAE variants."""

from pathlib import Path

from reviewgen.config import stage_config
from reviewgen.io import atomic_directory, write_json
from reviewgen.reports.tense import write_tense_report
from reviewgen.stage import run_stage, stage_parser


def by_variant(variants: list[str], paths: list[str], what: str) -> dict[str, Path]:
    if len(paths) != len(variants):
        raise SystemExit(f"report_tense: {len(variants)} variants but {len(paths)} {what} files")
    return {variant: Path(path) for variant, path in zip(variants, paths, strict=True)}


def main() -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--variants", nargs="+", required=True)
    parser.add_argument("--models", nargs="+", required=True, help="one per variant, in the same order")
    parser.add_argument("--histories", nargs="+", required=True, help="one per variant, in the same order")
    parser.add_argument("--metrics", nargs="+", required=True, help="one per variant, in the same order")
    parser.add_argument("--tense-dir", required=True)
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--metrics-out", required=True)
    args = parser.parse_args()
    cfg = stage_config(args, ["tense_report"])
    # Built aside and renamed, so a killed stage never leaves a directory that looks finished.
    with atomic_directory(args.out_dir) as out_dir:
        summary = write_tense_report(
            by_variant(args.variants, args.models, "model"), by_variant(args.variants, args.histories, "history"),
            by_variant(args.variants, args.metrics, "metrics"), Path(args.tense_dir), cfg["tense_report"],
            out_dir,
        )
    write_json(args.metrics_out, summary)


if __name__ == "__main__":
    run_stage(main)
