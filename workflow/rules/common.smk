import json


# Tell tracking which orchestrator ran a stage (recorded as an MLflow tag).
shell.prefix("export REVIEWGEN_ORCHESTRATOR=snakemake; ")


def stage_config(*sections):
    """The params sections a stage reads, as JSON for the script's --config-json.

    Passing them as a rule param makes Snakemake rerun the rule when any key in them changes,
    like DVC's `params:` list, and `--configfile` overrides reach the scripts.
    """
    return json.dumps({name: dotted(name) for name in sections}, sort_keys=True)


def dotted(name):
    """config["a"]["b"] for "a.b": the same dotted section names dvc.yaml lists under params."""
    node = config
    for part in name.split("."):
        node = node[part]
    return node
