"""Stage report_wordfreq: words of the conditioned LM at high vs low energy (valence too when conditioned)."""

from pathlib import Path

from reviewgen.config import stage_config
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
    write_wordfreq_report(Path(args.model), Path(args.vocab), Path(args.truth), cfg["wordfreq"],
                          Path(args.out_dir), Path(args.metrics_out))


if __name__ == "__main__":
    run_stage(main)
