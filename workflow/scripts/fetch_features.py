"""Stage fetch_features: per-track audio features (synthetic, a local table, or the Spotify API)."""

import pandas as pd

from reviewgen.config import stage_config
from reviewgen.data.features import fetch_features
from reviewgen.io import write_csv, write_json
from reviewgen.stage import run_stage, stage_parser


def main() -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--reviews", required=True)
    parser.add_argument("--source-features", required=True)
    parser.add_argument("--features-out", required=True)
    parser.add_argument("--report-out", required=True)
    args = parser.parse_args()
    cfg = stage_config(args, ["features"])

    reviews = pd.read_parquet(args.reviews)
    source_features = pd.read_csv(args.source_features, dtype={"track_id": "string"})
    features, report = fetch_features(cfg["features"], reviews, source_features)
    write_csv(args.features_out, features)
    write_json(args.report_out, report)


if __name__ == "__main__":
    run_stage(main)
