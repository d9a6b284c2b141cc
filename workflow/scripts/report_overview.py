"""Stage report_overview: the character-LM comparison, a plot per training history, the MLflow runs table."""

from pathlib import Path

from reviewgen.io import atomic_directory
from reviewgen.reports.overview import write_charlm_comparison, write_history_plots, write_runs_report
from reviewgen.stage import run_stage, stage_parser


def paths(values: list[str]) -> list[Path]:
    return [Path(v) for v in values]


def main() -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--charlm-metrics", nargs="+", required=True)
    parser.add_argument("--charlm-samples", nargs="+", required=True)
    parser.add_argument("--histories", nargs="+", required=True)
    parser.add_argument("--metrics", nargs="+", required=True, help="every training stage's metrics file")
    parser.add_argument("--charlm-out", required=True)
    parser.add_argument("--plots-dir", required=True)
    parser.add_argument("--runs-csv", required=True)
    parser.add_argument("--runs-md", required=True)
    args = parser.parse_args()

    write_charlm_comparison(paths(args.charlm_metrics), paths(args.charlm_samples), Path(args.charlm_out))
    # Built aside and renamed, so a killed stage never leaves a directory that looks finished.
    with atomic_directory(args.plots_dir) as plots_dir:
        write_history_plots(paths(args.histories), plots_dir)
    write_runs_report(paths(args.metrics), Path(args.runs_csv), Path(args.runs_md))


if __name__ == "__main__":
    run_stage(main)
