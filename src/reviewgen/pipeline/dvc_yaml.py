"""dvc.yaml, generated from the stage table (``stages.py``) and each script's import closure.

    python -m reviewgen.pipeline.dvc_yaml --write   # after editing the table or a stage's imports
    python -m reviewgen.pipeline.dvc_yaml --check   # exit 1 when the checked-in dvc.yaml is stale

Repeated stages stay ``foreach`` over params, reports depend on the folders their collected files
live in, and the top-level charts over several models draw report_overview's long tables (``Chart``), so
a new entry in ``charlm.archs`` or ``tense_variants`` needs no regeneration to be trained, reported and
charted: nothing here reads params.yaml.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from reviewgen.pipeline.imports import code_deps
from reviewgen.pipeline.stages import CHARTS, EXTERNAL, PLACEHOLDER, STAGES, Stage

REPO = Path(__file__).resolve().parents[3]
HEADER = """\
# GENERATED from src/reviewgen/pipeline/stages.py: do not edit by hand. After changing a stage there, or
# the imports of a stage's code, run `python -m reviewgen.pipeline.dvc_yaml --write`; the tests fail while
# this file is stale. workflow/rules/*.smk read the same table, so both tools run the same commands.
"""


def _dvc_var(stage: Stage) -> str:
    return "${key}" if stage.repeat.keys else "${item}"


def _fill(text: str, stage: Stage) -> str:
    """A path or params name with the stage's wildcard written as DVC's foreach variable."""
    return text.replace(f"{{{stage.repeat.wildcard}}}", _dvc_var(stage)) if stage.repeat else text


def _io_path(stage: Stage, where: str, name: str) -> str:
    value = stage.inputs[name] if where == "input" else stage.outputs[name].path
    return _fill(value, stage)


def command(stage: Stage) -> str:
    """``python <script> <args>`` with every placeholder replaced by the path it stands for."""
    def replace(match: re.Match) -> str:
        where, name = match.group(1), match.group(2)
        if where is None:
            return _fill(stage.log, stage)
        if where == "wildcards":
            return _dvc_var(stage)
        if where == "params":
            if name == "checkpoint":
                return _fill(stage.checkpoint, stage)
            source_where, source = stage.folders[name].split(".")
            return str(Path(_io_path(stage, source_where, source)).parent)
        return _io_path(stage, where, name)

    return f"python {stage.script} " + re.sub(PLACEHOLDER, replace, stage.args)


def deps(stage: Stage, root: Path) -> list[str]:
    listed = [stage.script, *(_fill(p, stage) for p in stage.inputs.values())]
    listed += [c.folder for c in stage.collect.values()]
    listed += [EXTERNAL] if stage.external else []
    listed += code_deps(root, stage.script)
    return list(dict.fromkeys(listed))


def stage_entry(stage: Stage, root: Path) -> dict[str, Any]:
    entry: dict[str, Any] = {"cmd": command(stage), "deps": deps(stage, root)}
    if stage.params:
        entry["params"] = [_fill(p, stage) for p in stage.params]
    for kind, key in (("out", "outs"), ("metric", "metrics"), ("plot", "plots")):
        chosen = [o for o in stage.outputs.values() if o.kind == kind]
        if not chosen:
            continue
        if kind == "out":
            entry[key] = [_fill(o.path, stage) for o in chosen]
        else:
            entry[key] = [{_fill(o.path, stage): {"cache": False, **({"x": o.x, "y": o.y} if o.x else {})}}
                          for o in chosen]
    if stage.repeat:
        return {"foreach": f"${{{stage.repeat.key}}}", "do": entry}
    return entry


# .dvc/plots/by_model.json: a line per model of a long table, colored by its `model` column.
BY_MODEL = "by_model"


def charts() -> list[dict[str, Any]]:
    found = []
    for chart_id, chart in CHARTS.items():
        y_value: Any = chart.y[0] if len(chart.y) == 1 else list(chart.y)
        entry: dict[str, Any] = {"title": chart.title}
        if chart.across_models:
            entry |= {"template": BY_MODEL, "x": "epoch", "y": {chart.table(chart_id): y_value}}
        else:
            files = [STAGES[name].outputs[output].path for name, output in chart.sources]
            entry |= {"x": "epoch", "y": {path: y_value for path in files}}
        found.append({chart_id: entry})
    return found


class _Dumper(yaml.SafeDumper):
    """Block style, and long commands folded (``>-``) as a person would write them."""


def _str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = ">" if text.startswith("python ") and len(text) > 100 else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _str)


def render(root: Path = REPO) -> str:
    document = {"stages": {name: stage_entry(stage, root) for name, stage in STAGES.items()},
                "plots": charts()}
    body = yaml.dump(document, Dumper=_Dumper, sort_keys=False, width=110, default_flow_style=False)
    return HEADER + body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", action="store_true", help="write dvc.yaml")
    group.add_argument("--check", action="store_true", help="exit 1 if dvc.yaml differs from the table")
    parser.add_argument("--root", type=Path, default=REPO, help="the project (default: this checkout)")
    args = parser.parse_args(argv)
    path = args.root / "dvc.yaml"
    text = render(args.root)
    if args.write:
        path.write_text(text, encoding="utf-8")
        return 0
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        print(f"{path} is stale: run python -m reviewgen.pipeline.dvc_yaml --write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
