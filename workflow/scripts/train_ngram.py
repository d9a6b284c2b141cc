"""Stage train_ngram: the maximum-likelihood character n-gram model (counted; add-k for evaluation)."""

from pathlib import Path

from reviewgen.config import stage_config
from reviewgen.experiments.charlm import count_experiment
from reviewgen.experiments.common import StageOutputs, add_output_arguments
from reviewgen.experiments.runner import train
from reviewgen.stage import run_stage, stage_parser


def main() -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--sentences", required=True)
    parser.add_argument("--vocab", required=True)
    parser.add_argument("--counts-out", required=True, help="the counts as arrays (reviewgen sample, no torch)")
    add_output_arguments(parser, checkpoint=False)
    args = parser.parse_args()
    cfg = stage_config(args, ["charlm.data", "charlm.sampling", "charlm.ngram"])
    exp = count_experiment(cfg, Path(args.sentences), Path(args.vocab), Path(args.counts_out))
    train(exp, StageOutputs.from_args(args))


if __name__ == "__main__":
    run_stage(main)
