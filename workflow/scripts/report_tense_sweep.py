"""Rule sweep_tense_tradeoff: the trade-off plot (Gaussian score against held-out BLEU-4) of a tense sweep."""

from pathlib import Path

from reviewgen.reports.tense import write_sweep_tradeoff
from reviewgen.stage import run_stage, stage_parser


def main() -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--summary", required=True, help="the sweep's summary.csv")
    parser.add_argument("--key", default="kl.max_weight", help="the swept key that labels the points")
    parser.add_argument("--out", required=True, help="the PNG to write")
    args = parser.parse_args()
    write_sweep_tradeoff(Path(args.summary), Path(args.out), args.key)


if __name__ == "__main__":
    run_stage(main)
