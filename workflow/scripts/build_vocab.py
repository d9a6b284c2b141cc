"""Stage build_vocab: word and character vocabularies from the train split."""

import pandas as pd

from reviewgen.config import stage_config
from reviewgen.data.vocab import build_vocabs
from reviewgen.io import write_json
from reviewgen.stage import run_stage, stage_parser


def main() -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--sentences", required=True)
    parser.add_argument("--words-out", required=True)
    parser.add_argument("--chars-out", required=True)
    parser.add_argument("--report-out", required=True)
    args = parser.parse_args()
    cfg = stage_config(args, ["vocab"])

    words, chars, report = build_vocabs(pd.read_parquet(args.sentences), cfg["vocab"])
    words.save(args.words_out)
    chars.save(args.chars_out)
    write_json(args.report_out, report)


if __name__ == "__main__":
    run_stage(main)
