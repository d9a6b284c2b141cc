"""Stage train_tense_cvae: one variant of the conditional character VAE for tense conversion."""

from pathlib import Path

from reviewgen.config import stage_config
from reviewgen.experiments.common import StageOutputs, add_output_arguments
from reviewgen.experiments.runner import train
from reviewgen.experiments.tense_cvae import experiment
from reviewgen.stage import run_stage, stage_parser


def main() -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--variant", required=True, help="a key of tense_variants in params.yaml")
    parser.add_argument("--tense-dir", required=True)
    parser.add_argument("--onnx-out", help="folder for the model's ONNX export (reviewgen tense); "
                                           "a sweep point writes none")
    add_output_arguments(parser)
    args = parser.parse_args()
    cfg = stage_config(args, ["tense", f"tense_variants.{args.variant}", "runtime"])
    train(experiment(args.variant, cfg, Path(args.tense_dir),
                     args.onnx_out and Path(args.onnx_out)), StageOutputs.from_args(args))


if __name__ == "__main__":
    run_stage(main)
