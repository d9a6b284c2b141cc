"""Stage train_sentence_vae: the sentence VAE on review sentences."""

from pathlib import Path

from reviewgen.config import stage_config
from reviewgen.experiments.common import StageOutputs, add_output_arguments
from reviewgen.experiments.runner import train
from reviewgen.experiments.sentence_vae import experiment
from reviewgen.stage import run_stage, stage_parser


def main() -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--sentences", required=True)
    parser.add_argument("--vocab", required=True)
    parser.add_argument("--onnx-out", required=True, help="folder for the model's ONNX export (reviewgen interpolate)")
    add_output_arguments(parser)
    args = parser.parse_args()
    cfg = stage_config(args, ["sentence_vae", "runtime"])
    train(experiment(cfg, Path(args.sentences), Path(args.vocab), Path(args.onnx_out)), StageOutputs.from_args(args))


if __name__ == "__main__":
    run_stage(main)
