"""Stage report_wordfreq: words of the conditioned LM at high vs low energy (valence too when conditioned)."""

from pathlib import Path

from reviewgen.config import stage_config
from reviewgen.io import atomic_directory
from reviewgen.reports.wordfreq import write_wordfreq_report
from reviewgen.stage import run_stage, stage_parser


def main() -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("--vocab", required=True)
    parser.add_argument("--truth", required=True)
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--metrics-out", required=True)
    args = parser.parse_args()
    cfg = stage_config(args, ["wordfreq"])
    # Built aside and renamed, so a killed stage never leaves a directory that looks finished.
    with atomic_directory(args.out_dir) as out_dir:
        write_wordfreq_report(Path(args.model), Path(args.vocab), Path(args.truth), cfg["wordfreq"],
                              out_dir, Path(args.metrics_out))


if __name__ == "__main__":
    run_stage(main)
