"""Stage split_sentences: reviews into tokenised sentences, each linked to its review, track and split."""

import pandas as pd

from reviewgen.config import stage_config
from reviewgen.data.sentences import split_reviews
from reviewgen.io import write_json, write_parquet
from reviewgen.stage import run_stage, stage_parser


def main() -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--reviews", required=True)
    parser.add_argument("--sentences-out", required=True)
    parser.add_argument("--report-out", required=True)
    args = parser.parse_args()
    cfg = stage_config(args, ["sentences"])

    sentences, report = split_reviews(pd.read_parquet(args.reviews), cfg["sentences"])
    write_parquet(args.sentences_out, sentences)
    write_json(args.report_out, report)


if __name__ == "__main__":
    run_stage(main)
