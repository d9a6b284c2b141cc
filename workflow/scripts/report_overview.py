"""Stage report_overview: the character-LM comparison, a plot per training history, the tables of the
multi-model DVC charts (results/plots/<chart>.csv), the MLflow runs table.

The models it reads are the ones params names (charlm.archs, tense_variants), at the paths their
training stages write (reviewgen.pipeline.stages), so a model added in params.yaml is reported too.
"""

from pathlib import Path

from reviewgen.config import stage_config
from reviewgen.io import atomic_directory
from reviewgen.pipeline.stages import chart_tables, collected_inputs
from reviewgen.reports.overview import (
    write_charlm_comparison,
    write_chart_tables,
    write_history_plots,
    write_runs_report,
)
from reviewgen.stage import run_stage, stage_parser


def paths(values: list[str]) -> list[Path]:
    return [Path(v) for v in values]


def main() -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--charlm-out", required=True)
    parser.add_argument("--plots-dir", required=True)
    parser.add_argument("--runs-csv", required=True)
    parser.add_argument("--runs-md", required=True)
    args = parser.parse_args()
    cfg = stage_config(args, ["charlm.archs", "tense_variants"])
    inputs = collected_inputs("report_overview", cfg)

    write_charlm_comparison(paths(inputs["charlm_metrics"]), paths(inputs["charlm_samples"]), Path(args.charlm_out))
    # Built aside and renamed, so a killed stage never leaves a directory that looks finished.
    with atomic_directory(args.plots_dir) as plots_dir:
        write_history_plots(paths(inputs["histories"]), plots_dir)
        write_chart_tables({chart: (columns, paths(files)) for chart, (columns, files) in chart_tables(cfg).items()},
                           plots_dir)
    write_runs_report(paths(inputs["metrics"]), Path(args.runs_csv), Path(args.runs_md))


if __name__ == "__main__":
    run_stage(main)
