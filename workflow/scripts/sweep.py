"""Sweep bookkeeping for Snakemake: open a sweep's parent MLflow run, print a point's run tags, summarise.

    python workflow/scripts/sweep.py start  --sweep NAME --config-json '{"sweeps.NAME": {...}}' --out parent.json
    python workflow/scripts/sweep.py tags   --parent parent.json --point POINT
    python workflow/scripts/sweep.py finish --parent parent.json --metrics m1.json ... --md summary.md --csv s.csv
"""

import argparse
import json
from pathlib import Path

from reviewgen.config import load_params, select
from reviewgen.stage import run_stage
from reviewgen.sweeps import finish_sweep, point_tags, start_parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start")
    start.add_argument("--sweep", required=True)
    start.add_argument("--config-json", help="the sweep's section as JSON (else read from --params)")
    start.add_argument("--params", default="params.yaml")
    start.add_argument("--out", required=True)
    tags = commands.add_parser("tags")
    tags.add_argument("--parent", required=True)
    tags.add_argument("--point", required=True)
    finish = commands.add_parser("finish")
    finish.add_argument("--parent", required=True)
    finish.add_argument("--metrics", nargs="+", required=True)
    finish.add_argument("--md", required=True)
    finish.add_argument("--csv", required=True)
    args = parser.parse_args()

    if args.command == "start":
        section = f"sweeps.{args.sweep}"
        given = json.loads(args.config_json) if args.config_json else load_params(args.params)
        start_parent(args.sweep, select(given, [section])[section], Path(args.out))
    elif args.command == "tags":
        print(json.dumps(point_tags(Path(args.parent), args.point)))
    else:
        finish_sweep(Path(args.parent), [Path(p) for p in args.metrics], Path(args.md), Path(args.csv))


if __name__ == "__main__":
    run_stage(main)
