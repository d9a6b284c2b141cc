"""Reading ``params.yaml``: the only configuration of the pipeline.

A stage reads only the sections it declares. DVC runs a script with ``--params params.yaml`` and the
script reads those sections from the file; Snakemake passes the same sections (after any
``--configfile`` overrides) as JSON with ``--config-json``. Either way the script gets one dict.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:  # jsonschema costs an import only when params are validated
    import jsonschema

from reviewgen.secrets import environment_variable_for, is_secret_key

_MISSING = object()
# The schema Snakemake validates the config against (Snakefile); DVC runs check the same file here.
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "params.schema.yaml"


class ConfigError(ValueError):
    """A bad or missing value in params.yaml, with the key that is wrong in the message."""


def load_params(path: str | Path = "params.yaml") -> dict[str, Any]:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: params file not found")
    try:
        params = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from err
    if not isinstance(params, dict):
        raise ConfigError(f"{path}: top level must be a mapping of sections")
    return params


def select(params: dict[str, Any], sections: Iterable[str], origin: str = "params.yaml") -> dict[str, Any]:
    """The named sections of ``params``, keyed by name; a dotted name (``charlm.lstm``) reaches inside.

    Stages declare dotted names so that, e.g., the LSTM stage reruns when ``charlm.lstm`` changes but
    not when ``charlm.gru`` does. A name already present as a key (as in ``--config-json``) is taken as is.
    """
    chosen = {}
    for name in sections:
        if name in params:
            chosen[name] = params[name]
            continue
        node: Any = params
        for part in name.split("."):
            if not isinstance(node, dict) or part not in node:
                raise ConfigError(f"{origin}: missing section '{name}'")
            node = node[part]
        chosen[name] = node
    return chosen


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``override`` laid over it, nested mappings merged key by key (how overlays apply)."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--params", default="params.yaml", help="params file to read the stage's sections from")
    group.add_argument("--config-json", help="the stage's sections as JSON (how Snakemake passes them)")
    parser.add_argument("--override", help="JSON {dotted.key: value} laid over the stage's first section (sweeps)")


def stage_config(args: argparse.Namespace, sections: Sequence[str]) -> dict[str, Any]:
    """The stage's sections, from ``--config-json`` when given, else from the ``--params`` file."""
    if args.config_json:
        cfg = select(_json(args.config_json, "--config-json"), sections, origin="--config-json")
    else:
        params = load_params(args.params)
        validate_params(params, origin=str(args.params))
        cfg = select(params, sections, origin=str(args.params))
    if getattr(args, "override", None):
        cfg[sections[0]] = apply_overrides(cfg[sections[0]], _json(args.override, "--override"), sections[0])
        validate_section(sections[0], cfg[sections[0]], origin="--override")
    return cfg


def load_schema() -> dict[str, Any]:
    return yaml.safe_load(SCHEMA_PATH.read_text(encoding="utf-8"))


def _message(err: jsonschema.ValidationError, origin: str, prefix: Sequence[str] = ()) -> str:
    """One line naming the dotted key path of the first schema violation."""
    path = [*prefix, *(str(p) for p in err.absolute_path)]
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        known = set(err.schema.get("properties", {}))
        extra = sorted(k for k in err.instance if k not in known)
        if extra:
            # Under charlm a key may also be an architecture's section that charlm.archs does not list.
            hint = "a typo, or an architecture charlm.archs does not list?" if path == ["charlm"] else "a typo?"
            return f"{origin}: unknown key '{'.'.join([*path, str(extra[0])])}' ({hint} see {SCHEMA_PATH.name})"
    where = ".".join(path) or "(top level)"
    return f"{origin}: '{where}': {err.message}"


def _first_error(schema: dict[str, Any], instance: Any) -> jsonschema.ValidationError | None:
    import jsonschema

    validator_cls = jsonschema.validators.validator_for(schema)
    errors = sorted(validator_cls(schema).iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    return errors[0] if errors else None


def validate_params(params: dict[str, Any], origin: str = "params.yaml") -> None:
    """Raise ConfigError unless ``params`` (a whole params file) fits the schema, sweep grids included."""
    for dotted in _dotted_keys(params):
        if is_secret_key(dotted):
            raise ConfigError(
                f"{origin}: '{dotted}' looks like a secret; params are copied into dvc.lock and MLflow, so set "
                f"{environment_variable_for(dotted)} in the environment instead")
    schema = load_schema()
    err = _first_error(schema, without_named_archs(params, schema))
    if err is not None:
        raise ConfigError(_message(err, origin))
    check_archs(params, origin, schema)
    # A sweep grid point is a section with overrides laid on: each one must be a valid section too.
    for name, sweep in (params.get("sweeps") or {}).items():
        stage = sweep["stage"]
        for dotted, values in sweep["grid"].items():
            for value in values:
                try:
                    section = apply_overrides(params.get(stage, {}), {dotted: value}, stage)
                except ConfigError as bad:
                    raise ConfigError(f"{origin}: sweeps.{name}.grid: {bad}") from None
                validate_section(stage, section, origin=f"{origin} (sweeps.{name}.grid)", schema=schema)


def named_archs(params: dict[str, Any], schema: dict[str, Any] | None = None) -> list[str]:
    """The architectures ``charlm.archs`` lists under a name of the user's choosing: those the schema
    has no ``charlm`` key for (the five named after their cell have one)."""
    charlm = params.get("charlm")
    archs = charlm.get("archs") if isinstance(charlm, dict) else None
    if not isinstance(archs, list):
        return []
    fixed = (schema or load_schema())["properties"]["charlm"]["properties"]
    return [arch for arch in archs if isinstance(arch, str) and arch not in fixed]


def without_named_archs(params: dict[str, Any], schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """``params`` less the sections of the user-named architectures, for the schema's fixed keys: any
    other key under ``charlm`` (a typo, or a section ``archs`` does not list) is still unknown there."""
    named = set(named_archs(params, schema))
    if not named:
        return params
    return {**params, "charlm": {k: v for k, v in params["charlm"].items() if k not in named}}


def check_archs(params: dict[str, Any], origin: str = "params.yaml", schema: dict[str, Any] | None = None) -> None:
    """Every architecture ``charlm.archs`` lists has its section; one named by the user says its cell
    and fits the schema's ``charlm_arch``. Both tools call this after the schema (the Snakefile too)."""
    schema = schema or load_schema()
    charlm = params.get("charlm")
    if not isinstance(charlm, dict):
        return
    cells = schema["definitions"]["charlm_arch"]["properties"]["cell"]["enum"]
    settings = set(schema["properties"]["charlm"]["properties"]) - set(cells)  # archs, data, sampling, ngram
    for arch in charlm.get("archs") or []:
        if arch in settings:
            raise ConfigError(f"{origin}: charlm.archs lists '{arch}', which is a charlm setting, not an architecture")
        section = charlm.get(arch)
        if not isinstance(section, dict):
            raise ConfigError(f"{origin}: charlm.archs lists '{arch}' but there is no section charlm.{arch}")
        if arch in cells and section.get("cell", arch) != arch:
            raise ConfigError(f"{origin}: 'charlm.{arch}' is named after the {arch} cell but says cell "
                              f"{section['cell']!r}: give it a name of its own")
    for arch in named_archs(params, schema):
        section = charlm[arch]
        if "cell" not in section:
            raise ConfigError(f"{origin}: 'charlm.{arch}' needs a cell (one of {', '.join(cells)}): "
                              "only the architectures named after a cell have one by default")
        err = _first_error({**schema["definitions"]["charlm_arch"], "definitions": schema["definitions"]}, section)
        if err is not None:
            raise ConfigError(_message(err, origin, prefix=("charlm", arch)))


def _dotted_keys(node: Any, prefix: str = "") -> Iterable[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            dotted = f"{prefix}{key}"
            yield dotted
            yield from _dotted_keys(value, f"{dotted}.")


def validate_section(name: str, section: Any, origin: str, schema: dict[str, Any] | None = None) -> None:
    """Check one top-level section against its part of the schema (a dotted name is not checked here:
    the whole file it came from was)."""
    schema = schema or load_schema()
    sub = schema["properties"].get(name)
    if sub is None:
        return
    err = _first_error({**sub, "definitions": schema["definitions"]}, section)
    if err is not None:
        raise ConfigError(_message(err, origin, prefix=(name,)))


def _json(text: str, option: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(f"{option}: not valid JSON: {err}") from err


def apply_overrides(section: dict[str, Any], overrides: dict[str, Any], where: str) -> dict[str, Any]:
    """``section`` with each ``{"a.b": value}`` set; a key that does not exist is an error (a typo in a
    sweep grid must not silently train the default model)."""
    result = json.loads(json.dumps(section))  # a deep copy of plain params data
    for dotted, value in overrides.items():
        node, parts = result, dotted.split(".")
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                raise ConfigError(f"params: '{where}.{dotted}' does not exist (override)")
            node = node[part]
        if parts[-1] not in node:
            raise ConfigError(f"params: '{where}.{dotted}' does not exist (override)")
        node[parts[-1]] = value
    return result


def get(
    cfg: dict[str, Any],
    key: str,
    kind: type | tuple[type, ...],
    where: str,
    *,
    default: Any = _MISSING,
    choices: Iterable[Any] | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
) -> Any:
    """``cfg[key]`` checked for type, choices and range; ``where`` names the section in errors."""
    name = f"{where}.{key}"
    if key not in cfg or cfg[key] is None and default is not _MISSING:
        if default is _MISSING:
            raise ConfigError(f"params: missing key '{name}'")
        return default
    value = cfg[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    # YAML ints are valid floats; bools are not valid ints.
    if float in kinds and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
        expected = " or ".join(k.__name__ for k in kinds)
        raise ConfigError(f"params: '{name}' must be {expected}, got {value!r}")
    if choices is not None and value not in set(choices):
        raise ConfigError(f"params: '{name}' must be one of {sorted(choices)}, got {value!r}")
    if minimum is not None and value < minimum:
        raise ConfigError(f"params: '{name}' must be >= {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"params: '{name}' must be <= {maximum}, got {value!r}")
    return value
