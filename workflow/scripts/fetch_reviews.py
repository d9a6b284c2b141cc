"""Stage fetch_reviews: reviews from the configured source into one normalised table."""

from reviewgen.config import stage_config
from reviewgen.data.reviews import fetch_reviews
from reviewgen.io import write_csv, write_json, write_parquet
from reviewgen.stage import run_stage, stage_parser


def main() -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--reviews-out", required=True)
    parser.add_argument("--source-features-out", required=True)
    parser.add_argument("--truth-out", required=True)
    parser.add_argument("--report-out", required=True)
    args = parser.parse_args()
    cfg = stage_config(args, ["reviews"])

    fetched = fetch_reviews(cfg["reviews"])
    write_parquet(args.reviews_out, fetched.reviews)
    write_csv(args.source_features_out, fetched.source_features)
    write_json(args.truth_out, fetched.truth)
    write_json(args.report_out, fetched.report)


if __name__ == "__main__":
    run_stage(main)
