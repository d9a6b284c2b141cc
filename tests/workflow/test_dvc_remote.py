"""The default DVC remote: what one clone pushes, a fresh clone pulls, and then has nothing to rerun."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import make_pipeline_copy

pytestmark = pytest.mark.e2e


def test_default_remote_is_outside_the_work_tree(pipeline_copy):
    assert pipeline_copy.run("dvc", "remote", "default").stdout.strip() == "local"
    path = Path(pipeline_copy.run("dvc", "config", "remote.local.url").stdout.strip())
    assert path == Path.home() / ".cache/reviewgen/dvc-remote"
    assert pipeline_copy.root not in path.parents


def test_push_then_pull_into_fresh_clone_needs_no_repro(dvc_pipeline, tmp_path):
    remote = tmp_path / "remote"
    # --local: the test never writes into the user's real default remote
    dvc_pipeline.run("dvc", "remote", "modify", "--local", "local", "url", str(remote))
    try:
        dvc_pipeline.run("dvc", "push")
    finally:
        (dvc_pipeline.root / ".dvc" / "config.local").unlink()
    assert any(remote.rglob("*")), "dvc push wrote nothing"

    clone = make_pipeline_copy(tmp_path / "clone")
    # a fresh clone of the same commit: the lock file and the git-tracked metrics/histories come with it
    # (params too: other tests in this session change the shared pipeline's params and rerun it)
    for name in ("dvc.lock", "params.yaml"):
        shutil.copy2(dvc_pipeline.root / name, clone.root / name)
    for folder in ("results/metrics", "results/report_metrics", "results/histories"):
        shutil.copytree(dvc_pipeline.root / folder, clone.root / folder)
    clone.run("dvc", "remote", "modify", "--local", "local", "url", str(remote))
    clone.run("dvc", "pull")
    assert (clone.root / "results/models/wordlm.pt").exists()
    proc = clone.run("dvc", "repro")
    assert re.findall(r"Running stage '([\w@.-]+)'", proc.stdout + proc.stderr) == []
