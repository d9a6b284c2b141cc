"""Stage train_charlm: one neural character language model, an entry of charlm.archs."""

from pathlib import Path

from reviewgen.config import stage_config
from reviewgen.experiments.charlm import neural_experiment
from reviewgen.experiments.common import StageOutputs, add_output_arguments
from reviewgen.experiments.runner import train
from reviewgen.stage import run_stage, stage_parser


def main() -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--arch", required=True, help="its name in charlm.archs (its section: charlm.<arch>)")
    parser.add_argument("--sentences", required=True)
    parser.add_argument("--vocab", required=True)
    parser.add_argument("--onnx-out", required=True, help="folder for the model's ONNX export (reviewgen sample)")
    add_output_arguments(parser)
    args = parser.parse_args()
    cfg = stage_config(args, ["charlm.data", "charlm.sampling", f"charlm.{args.arch}", "runtime"])
    exp = neural_experiment(args.arch, cfg, Path(args.sentences), Path(args.vocab), Path(args.onnx_out))
    train(exp, StageOutputs.from_args(args))


if __name__ == "__main__":
    run_stage(main)
