# Shared globals and helpers. Each rule takes its facts (inputs, outputs, log, params sections,
# resources, command) from the stage table in src/reviewgen/pipeline/stages.py, the table dvc.yaml is
# generated from, so the two tools cannot drift; code dependencies come from each script's imports.
import json
import re
import sys
from pathlib import Path

# This checkout's table, whichever reviewgen is installed (a copy of the project plans its own stages).
sys.path.insert(0, str(Path(workflow.basedir) / "src"))
from reviewgen.config import ConfigError, check_archs, without_named_archs
from reviewgen.pipeline.imports import code_deps
from reviewgen.pipeline.stages import STAGES, collected, expand_path, lookup_in
from reviewgen.sweeps import grid_points
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

# The config against workflow/schemas/params.schema.yaml (DVC runs check the same file, reviewgen.config):
# the fixed keys with Snakemake's validator, then the character-LM architectures named by the user,
# which the schema cannot list by name.
validate(without_named_archs(config), "../schemas/params.schema.yaml")
try:
    check_archs(config, origin="config")
except ConfigError as err:
    raise WorkflowError(str(err)) from None

# Tell tracking which orchestrator ran a stage (recorded as an MLflow tag); the checkout's own src/
# comes first on the path, so a job runs the code its rule depends on (also inside the conda env).
shell.prefix('export REVIEWGEN_ORCHESTRATOR=snakemake PYTHONPATH="$PWD/src${{PYTHONPATH:+:$PYTHONPATH}}"; ')

ROOT = Path(workflow.basedir)
# Every job runs in the project's one environment (requirements.lock): `--sdm conda` builds it.
ENV = "../envs/reviewgen.yaml"
dotted = lookup_in(config)
# The models params names: one job each for the repeated stages (charlm.archs, tense_variants).
REPEATS = {s.repeat.wildcard: s.repeat.values(dotted) for s in STAGES.values() if s.repeat}
CHARLM_ARCHS = REPEATS["arch"]
TENSE_VARIANTS = REPEATS["variant"]
# Outputs meant for people, collected by `snakemake --report results/report.html`.
REPORTED = {
    ("report_wordfreq", "out_dir"): dict(patterns=["{name}.png"], labels={"energy": "{name}"},
                                         caption="../report/wordfreq.rst", category="Word frequencies"),
    ("report_overview", "charlm"): dict(caption="../report/charlm.rst", category="Character LMs"),
    ("report_overview", "plots"): dict(patterns=["{name}.png"], labels={"model": "{name}"},
                                       caption="../report/histories.rst", category="Training histories"),
    ("report_overview", "runs_md"): dict(caption="../report/runs.rst", category="Runs"),
    ("report_homotopy", "md"): dict(caption="../report/homotopies.rst", category="Sentence VAE"),
    ("report_homotopy", "reconstructions"): dict(caption="../report/reconstructions.rst", category="Sentence VAE"),
    ("report_tense", "out_dir"): dict(patterns=["{name}.png", "{name}.md"], caption="../report/tense.rst",
                                      category="Tense VAE"),
}


wildcard_constraints:
    **{wildcard: "|".join(map(re.escape, values)) for wildcard, values in REPEATS.items()},


def stage_config(*sections):
    """The params sections a stage reads, as JSON for the script's --config-json.

    Passing them as a rule param makes Snakemake rerun the rule when any key in them changes,
    like DVC's `params:` list, and `--configfile` overrides reach the scripts.
    """
    return json.dumps({name: dotted(name) for name in sections}, sort_keys=True)


def stage_inputs(name):
    """The script, its code (import closure), the table's inputs, every collected model file, and
    any external file params configure (so editing it reruns the stage)."""
    stage = STAGES[name]
    inputs = {"script": stage.script, "code": code_deps(ROOT, stage.script), **stage.inputs}
    inputs |= {key: collected(files, dotted) for key, files in stage.collect.items()}
    if stage.external:
        inputs["external"] = [path for key in stage.external if (path := dotted(key))]
    return inputs


def stage_outputs(name):
    """The table's outputs, folders as directory(), the ones for people wrapped in report()."""
    outputs = {}
    for key, out in STAGES[name].outputs.items():
        path = directory(out.path) if out.folder else out.path
        outputs[key] = report(path, **REPORTED[(name, key)]) if (name, key) in REPORTED else path
    return outputs


def stage_log(name):
    return STAGES[name].log


def stage_benchmark(name):
    stage = STAGES[name]
    suffix = f"-{{{stage.repeat.wildcard}}}" if stage.repeat else ""
    return f"results/benchmarks/jobs/{name}{suffix}.tsv"


def _folder_of(source):
    where, key = source.split(".")
    return lambda wildcards, input, output: str(Path(getattr(input if where == "input" else output, key)).parent)


def _sections(stage):
    if stage.repeat is None:
        return stage_config(*stage.params)
    return lambda wildcards: stage_config(*(p.format(**dict(wildcards.items())) for p in stage.params))


def stage_params(name):
    """``config`` (the stage's params sections as JSON), its checkpoint, and folders of its files."""
    stage = STAGES[name]
    params = {"config": _sections(stage)}
    if stage.checkpoint:
        params["checkpoint"] = stage.checkpoint
    params |= {key: _folder_of(source) for key, source in stage.folders.items()}
    return params


def stage_threads(name):
    return STAGES[name].resources.threads


def stage_resources(name):
    """Per-job requests for a cluster. `gpu` maps to sbatch --gpus; partitions come from the profile, and
    a CPU-only cluster sets gpu: 0 there (see slurm/config.yaml). Locally these only bound parallelism.
    A job retried after hitting its time limit (the profile's `retries`) gets runtime * attempt minutes,
    and resumes from its checkpoint instead of starting over."""
    res = STAGES[name].resources
    wanted = {"gpu": res.gpu, "mem_mb": res.mem_mb, "runtime": res.runtime}
    if res.grows_with_attempt:
        wanted["runtime"] = lambda wildcards, attempt: res.runtime * attempt
    return {key: value for key, value in wanted.items() if value is not None}


def is_local(name):
    return STAGES[name].resources.local


def stage_shell(name):
    return f"python {{input.script}} --config-json {{params.config:q}} {STAGES[name].args}"


def all_outputs():
    """Every output of every stage, for every model params names."""
    lookup = dotted
    return [path for stage in STAGES.values() for out in stage.outputs.values()
            for path in expand_path(out.path, stage, lookup)]


# Sweeps (params.yaml `sweeps:`), Snakemake only: one training job per grid point (workflow/rules/sweep.smk).
SWEEPS = config.get("sweeps", {})
POINTS = {name: dict(grid_points(sweep, name)) for name, sweep in SWEEPS.items()}


def sweeps_of(section):
    return [name for name, sweep in SWEEPS.items() if sweep["stage"] == section] or ["__none__"]


def point_outputs():
    return dict(
        model="results/sweeps/{sweep}/{point}/model.pt",
        metrics="results/sweeps/{sweep}/{point}/metrics.json",
        history="results/sweeps/{sweep}/{point}/history.csv",
        samples="results/sweeps/{sweep}/{point}/samples.txt",
    )


def point_override(wildcards):
    return json.dumps(POINTS[wildcards.sweep][wildcards.point])


def point_shell(stage_args):
    """A grid point's command: the stage's own script with the point's overrides. Its tags (sweep, point,
    parent run) reach tracking through the environment."""
    tags = "python workflow/scripts/sweep.py tags --parent {input.parent:q} --point {wildcards.point:q}"
    outputs = ("--model-out {output.model:q} --metrics-out {output.metrics:q} --history-out {output.history:q}"
               " --samples-out {output.samples:q} --checkpoint {params.checkpoint:q}")
    return (f'export REVIEWGEN_RUN_TAGS="$({tags})"; '
            f"python {{input.script}} --config-json {{params.config:q}} --override {{params.override:q}}"
            f" {stage_args} {outputs} --log-file {{log}}")
