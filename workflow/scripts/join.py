"""Stage join: attach each review's track features; reviews without features are dropped or flagged."""

import pandas as pd

from reviewgen.config import get, stage_config
from reviewgen.data.join import join_reviews
from reviewgen.io import write_json, write_parquet
from reviewgen.stage import run_stage, stage_parser

KEY_COLUMNS = {"track_id", "artist", "title", "feature_source"}


def main() -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--reviews", required=True)
    parser.add_argument("--features", required=True)
    parser.add_argument("--reviews-out", required=True)
    parser.add_argument("--report-out", required=True)
    args = parser.parse_args()
    cfg = stage_config(args, ["join"])

    reviews = pd.read_parquet(args.reviews)
    features = pd.read_csv(args.features, dtype={"track_id": "string"})
    feature_names = [c for c in features.columns if c not in KEY_COLUMNS]
    keep_missing = get(cfg["join"], "keep_missing", bool, "join")
    joined, report = join_reviews(reviews, features, feature_names, keep_missing)
    write_parquet(args.reviews_out, joined)
    write_json(args.report_out, report)


if __name__ == "__main__":
    run_stage(main)
