"""MLflow tracking for the stages that train and evaluate: the only module that talks to MLflow.

Runs are logged into one SQLite store at the repository root unless ``MLFLOW_TRACKING_URI`` says
otherwise. Several stages may train at once (``snakemake -j4``, SLURM array jobs), so every call is
retried on SQLite's "database is locked", and the one-off work of creating the database schema and the
experiment happens under a file lock. Params and tags pass a secret filter first: Spotify credentials
and other tokens never reach the store.
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import hashlib
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from reviewgen.config import ConfigError
from reviewgen.io import get_logger
from reviewgen.secrets import is_secret_key

if TYPE_CHECKING:
    # MLflow (which imports pandas, SQLAlchemy, FastAPI...) is imported by the calls that talk to it, so a
    # process that only needs a tracking URI, the retry helper or the tags never pays for it.
    from mlflow import MlflowClient

log = get_logger("tracking")

# MLflow 3 sends usage telemetry from a background thread (a config download at import, posts at exit):
# a stage must not reach the network at run time, and the exit handlers a stage runs would wait for it.
# A user who wants it sets MLFLOW_DISABLE_TELEMETRY=false.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

T = TypeVar("T")

# Substrings of errors worth retrying: SQLite lock contention and flaky connections to a server.
_TRANSIENT = ("locked", "busy", "deadlock", "timed out", "timeout", "connection", "temporarily unavailable")
_RETRIES = 8
_MAX_PARAMS_PER_BATCH = 100  # MLflow's log_batch limit
# MLflow 3's UI opens an experiment of this kind on its runs table, not on the GenAI traces overview.
EXPERIMENT_KIND = {"mlflow.experimentKind": "custom_model_development"}
_jitter = random.Random()  # private: retries must not move the global RNG that training is seeded with


def tracking_uri(repo_root: Path) -> str:
    """``MLFLOW_TRACKING_URI`` when set, else ``mlflow.db`` at the repository (or DVC project) root."""
    return _default_uri(repo_root)


def _default_uri(repo_root: Path) -> str:  # start_run's `tracking_uri` argument hides the public name
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{_project_root(repo_root) / 'mlflow.db'}"


def _project_root(repo_root: Path) -> Path:
    """``repo_root``, or the project it is a DVC experiment copy of.

    DVC runs queued and ``--temp`` experiments in a throw-away copy under ``<project>/.dvc/tmp/exps/``
    and exports ``DVC_ROOT=<project>`` to their stages, so their runs belong in the project's store, not
    in a database deleted with the copy. A ``DVC_ROOT`` that does not contain ``repo_root`` is left over
    from some other repository and ignored.
    """
    root = Path(repo_root).resolve()
    dvc_root = os.environ.get("DVC_ROOT")
    if dvc_root and root.is_relative_to(Path(dvc_root).resolve()):
        return Path(dvc_root).resolve()
    return root


def _secret_values() -> list[str]:
    """Values of secret-looking environment variables, to catch them under an innocent param name."""
    # Short values ("1", "true") are flags, not credentials, and would match innocent params.
    return [value for name, value in os.environ.items() if is_secret_key(name) and len(value) >= 8]


def _drop_secrets(items: dict[str, str], what: str) -> dict[str, str]:
    secrets = _secret_values()
    kept = {k: v for k, v in items.items() if not is_secret_key(k) and not any(s in v for s in secrets)}
    if len(kept) < len(items):
        log.info("not logging %d secret-looking %s: %s", len(items) - len(kept), what,
                 ", ".join(sorted(set(items) - set(kept))))
    return kept


def flatten_params(nested: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """``{"wordlm": {"optim": {"lr": 0.1}}}`` -> ``{"wordlm.optim.lr": "0.1"}``, secrets dropped."""
    return _drop_secrets(_flatten(nested, prefix), "params")


def _flatten(nested: dict[str, Any], prefix: str) -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in nested.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            flat.update(_flatten(value, name))
        else:
            flat[name] = str(value)
    return flat


def _git_commit() -> str:
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 else "unknown"


RUN_TAGS_ENV = "REVIEWGEN_RUN_TAGS"


def run_tags(device: Any) -> dict[str, str]:
    """Where and how a run happened: code version, orchestrator, SLURM job, device, host."""
    if os.environ.get("REVIEWGEN_ORCHESTRATOR"):
        orchestrator = os.environ["REVIEWGEN_ORCHESTRATOR"]
    elif any(os.environ.get(name) for name in ("DVC_ROOT", "DVC_EXP_NAME", "DVC_EXP_BASELINE_REV")):
        orchestrator = "dvc"  # DVC exports these to the commands of `dvc repro` / `dvc exp run`
    else:
        orchestrator = "manual"
    commit = _git_commit()
    tags = {
        "git_commit": commit,
        # MLflow's own tags, which fill the runs table's Source and User columns.
        "mlflow.source.git.commit": commit,
        "mlflow.source.name": _source_name(),
        "mlflow.source.type": "LOCAL",
        "mlflow.user": _user(),
        "orchestrator": orchestrator,
        "device": str(device),
        "hostname": socket.gethostname(),
    }
    if os.environ.get("DVC_EXP_NAME"):
        # DVC names every `dvc exp run` (given with -n or generated) and exports the name to its stages.
        tags["dvc_experiment"] = os.environ["DVC_EXP_NAME"]
    if os.environ.get("SLURM_JOB_ID"):
        tags["slurm_job_id"] = os.environ["SLURM_JOB_ID"]
    # Extra tags from the orchestrator, e.g. a sweep's name, point and parent run (mlflow.parentRunId).
    extra = os.environ.get(RUN_TAGS_ENV)
    if extra:
        try:
            tags |= {str(k): str(v) for k, v in json.loads(extra).items()}
        except (json.JSONDecodeError, AttributeError) as err:
            raise ConfigError(f"environment: {RUN_TAGS_ENV} must be a JSON object, got {extra!r}") from err
    return tags


def _source_name() -> str:
    """The script that runs the stage, relative to the working directory when it lies below it."""
    script = Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0] else Path("python")
    return str(script.relative_to(Path.cwd())) if script.is_relative_to(Path.cwd()) else str(script)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry for the uid, e.g. some containers
        return "unknown"


def _transient(err: Exception) -> bool:
    chain: BaseException | None = err
    while chain is not None:
        if any(word in str(chain).lower() for word in _TRANSIENT):
            return True
        chain = chain.__cause__ or chain.__context__
    return False


def _unique_key_race(err: Exception) -> bool:
    """A row another process inserted between this call's look-up and its insert (see ``log_datasets``)."""
    return "unique constraint" in str(err).lower()


def retry(call: Callable[..., T], *args: Any, also: Callable[[Exception], bool] | None = None,
          **kwargs: Any) -> T:
    """``call(*args, **kwargs)``, retried with exponential backoff and jitter on transient errors, and on
    the errors ``also`` accepts: ones worth another try for this call only."""
    attempt = 0
    while True:
        try:
            return call(*args, **kwargs)
        except Exception as err:
            attempt += 1
            if attempt >= _RETRIES or not (_transient(err) or (also is not None and also(err))):
                raise
            delay = min(5.0, 0.1 * 2**attempt) * (0.5 + _jitter.random())
            reason = " ".join(str(err).split())[:200]
            log.warning("MLflow call failed (%s); retry %d in %.1fs", reason, attempt, delay)
            time.sleep(delay)


@contextlib.contextmanager
def _setup_lock(uri: str) -> Iterator[None]:
    """Serialise schema creation and experiment creation between processes on this machine.

    MLflow creates its SQLite schema when a process first opens the store; two processes doing that at
    once on a fresh file can fail halfway, which no retry repairs.
    """
    digest = hashlib.sha256(uri.encode("utf-8")).hexdigest()[:16]
    with open(Path(tempfile.gettempdir()) / f"reviewgen-mlflow-{digest}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _experiment_id(client: MlflowClient, name: str, uri: str) -> str:
    from mlflow.exceptions import MlflowException

    experiment = retry(client.get_experiment_by_name, name)
    if experiment is None:
        location = None
        if uri.startswith("sqlite:///"):
            # Artifacts beside the database rather than under whatever directory the stage runs in.
            root = Path(uri.removeprefix("sqlite:///")).parent / "mlruns"
            location = (root / re.sub(r"[^A-Za-z0-9_.-]+", "_", name)).as_uri()
        try:
            return retry(client.create_experiment, name, artifact_location=location, tags=EXPERIMENT_KIND)
        except MlflowException:
            # Another machine created it between our lookup and our create.
            experiment = retry(client.get_experiment_by_name, name)
            if experiment is None:
                raise
    if experiment.lifecycle_stage == "deleted":
        retry(client.restore_experiment, experiment.experiment_id)
    for key, value in EXPERIMENT_KIND.items():
        if experiment.tags.get(key) != value:  # created before the kind was set, or guessed by the UI
            retry(client.set_experiment_tag, experiment.experiment_id, key, value)
    return experiment.experiment_id


class TrackedRun:
    """One MLflow run; a context manager that ends it FINISHED, or FAILED when the block raises."""

    def __init__(self, client: MlflowClient, run_id: str) -> None:
        self.client = client
        self.run_id = run_id

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        batch = [Metric(key, float(value), now, step or 0) for key, value in metrics.items()]
        retry(self.client.log_batch, self.run_id, metrics=batch)

    def log_params(self, params: dict[str, Any]) -> None:
        """Log flattened params; keys a resumed run already has are skipped (MLflow refuses changes)."""
        from mlflow.entities import Param

        flat = flatten_params(params)
        logged = retry(self.client.get_run, self.run_id).data.params
        changed = sorted(k for k in flat if k in logged and logged[k] != flat[k])
        if changed:
            log.warning("run %s keeps its original value for params: %s", self.run_id, ", ".join(changed))
        fresh = [Param(k, v) for k, v in flat.items() if k not in logged]
        for start in range(0, len(fresh), _MAX_PARAMS_PER_BATCH):
            retry(self.client.log_batch, self.run_id, params=fresh[start : start + _MAX_PARAMS_PER_BATCH])

    def set_tags(self, tags: dict[str, Any]) -> None:
        from mlflow.entities import RunTag

        kept = _drop_secrets({k: str(v) for k, v in tags.items()}, "tags")
        retry(self.client.log_batch, self.run_id, tags=[RunTag(k, v) for k, v in kept.items()])

    def log_datasets(self, digests: dict[str, str], context: str = "training") -> None:
        """Log files as the run's dataset inputs, with digests the caller has already computed."""
        from mlflow.entities import Dataset, DatasetInput, InputTag

        inputs = [
            DatasetInput(
                Dataset(name=Path(path).name, digest=digest[:36], source_type="local",
                        source=json.dumps({"uri": Path(path).resolve().as_uri()})),
                tags=[InputTag("mlflow.data.context", context)],
            )
            for path, digest in digests.items()
        ]
        # Two stages of one experiment can register the same file at the same moment: the store looks the
        # dataset up, then inserts it, so the later insert fails on the unique key and rolls back. The
        # dataset exists by then, and calling again only links it to this run. That error is retried for
        # this call only: for any other call a unique key is a real conflict.
        if inputs:
            retry(self.client.log_inputs, self.run_id, datasets=inputs, also=_unique_key_race)

    def log_model(self, path: str | os.PathLike) -> str:
        """Log a model file as a registered MLflow pyfunc Model of this run; returns its URI."""
        import mlflow  # lazy: the fluent API and pyfunc cost an import only where a model is logged

        from reviewgen.tracking_model import log_model

        mlflow.set_tracking_uri(self.client.tracking_uri)
        active = mlflow.active_run()
        if active is None or active.info.run_id != self.run_id:
            mlflow.start_run(run_id=self.run_id)  # log_model logs into the active run only
        return retry(log_model, path)

    def log_artifact(self, path: str | os.PathLike, artifact_path: str | None = None) -> None:
        """Copy a file, or a directory's contents, into the run's artifacts."""
        if Path(path).is_dir():
            retry(self.client.log_artifacts, self.run_id, str(path), artifact_path)
        else:
            retry(self.client.log_artifact, self.run_id, str(path), artifact_path)

    def log_dict(self, obj: dict[str, Any], artifact_file: str) -> None:
        retry(self.client.log_dict, self.run_id, obj, artifact_file)

    def log_text(self, text: str, artifact_file: str) -> None:
        retry(self.client.log_text, self.run_id, text, artifact_file)

    def __enter__(self) -> TrackedRun:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: Any) -> None:
        if kind is None:
            status = "FINISHED"
        elif issubclass(kind, KeyboardInterrupt):
            status = "KILLED"
        else:
            status = "FAILED"
        import mlflow

        active = mlflow.active_run()
        if active is not None and active.info.run_id == self.run_id:
            mlflow.end_run(status)  # else the fluent API would end it FINISHED when the process exits
        else:
            retry(self.client.set_terminated, self.run_id, status)


def start_run(
    experiment: str,
    run_name: str,
    params: dict[str, Any],
    tags: dict[str, Any],
    run_id: str | None = None,
    tracking_uri: str | None = None,
) -> TrackedRun:
    """Start a run (or continue ``run_id``, e.g. after resuming from a checkpoint) with params and tags."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    uri = tracking_uri or _default_uri(Path.cwd())
    with _setup_lock(uri):
        client = retry(MlflowClient, tracking_uri=uri)  # opening a fresh SQLite store creates its schema
        experiment_id = _experiment_id(client, experiment, uri)
    if run_id is not None:
        try:
            retry(client.update_run, run_id, status="RUNNING")
            log.info("continuing MLflow run %s", run_id)
        except MlflowException as err:
            # The checkpoint outlived the store (mlflow.db deleted): a new run beats no tracking.
            log.warning("cannot continue MLflow run %s (%s); starting a new one", run_id,
                        " ".join(str(err).split())[:200])
            run_id = None
    if run_id is None:
        run_id = retry(client.create_run, experiment_id, run_name=run_name).info.run_id
        log.info("MLflow run %s (%s) in experiment %s", run_id, run_name, experiment)
    run = TrackedRun(client, run_id)
    run.set_tags(tags)
    run.log_params(params)
    return run


def finish_run(run_id: str, artifacts: list[str | os.PathLike] = (), status: str = "FINISHED",
               tracking_uri: str | None = None) -> None:
    """Log files to a run opened earlier (e.g. a sweep's parent) and end it."""
    from mlflow import MlflowClient

    run = TrackedRun(MlflowClient(tracking_uri=tracking_uri or _default_uri(Path.cwd())), run_id)
    for path in artifacts:
        run.log_artifact(path)
    retry(run.client.set_terminated, run_id, status)
