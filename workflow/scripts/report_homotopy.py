"""Stage report_homotopy: interpolations between sentences, reconstructions and prior samples (sentence VAE)."""

from pathlib import Path

from reviewgen.config import stage_config
from reviewgen.reports.homotopy import write_homotopy_report
from reviewgen.stage import run_stage, stage_parser


def main() -> None:
    parser = stage_parser(__doc__)
    for name in ("model", "vocab", "sentences", "md-out", "csv-out", "reconstructions-out", "samples-out",
                 "metrics-out"):
        parser.add_argument(f"--{name}", required=True)
    args = parser.parse_args()
    cfg = stage_config(args, ["homotopy"])
    write_homotopy_report(Path(args.model), Path(args.vocab), Path(args.sentences), cfg["homotopy"],
                          Path(args.md_out), Path(args.csv_out), Path(args.reconstructions_out),
                          Path(args.samples_out), Path(args.metrics_out))


if __name__ == "__main__":
    run_stage(main)
