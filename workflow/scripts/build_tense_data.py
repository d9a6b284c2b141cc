"""Stage build_tense_data: English verbs in four tenses, the reference pairs and held-out test verbs."""

from reviewgen.config import stage_config
from reviewgen.data.tenses import build_tense_data, write_tense_data
from reviewgen.stage import run_stage, stage_parser


def main() -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--out-dir", required=True)
    args = parser.parse_args()
    cfg = stage_config(args, ["tense_data"])

    write_tense_data(build_tense_data(cfg["tense_data"]), args.out_dir)


if __name__ == "__main__":
    run_stage(main)
