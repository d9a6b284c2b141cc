"""The local test cluster's stop script leaves no Slurm config behind, and never touches a foreign one.

A slurm.conf naming a controller that is down makes every Slurm client wait out its MessageTimeout, and
Snakemake's Slurm plugin runs `scontrol show config` at every start: a leftover config would cost every
local Snakemake run on the machine about ten seconds. No daemons are involved: the pid files are absent.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.workflow.slurm_cluster import MARKER, SCRIPTS

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def stop(tmp_path, etc):
    env = dict(os.environ, SLURM_TEST_DIR=str(tmp_path / "state"), SLURM_CONF_DIR=str(etc))
    subprocess.run(["bash", str(SCRIPTS / "stop-local-slurm.sh")], env=env, check=True, timeout=60,
                   capture_output=True)


def test_stop_removes_the_config_files_the_start_script_wrote(tmp_path):
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "slurm.conf").write_text(f"{MARKER}: single-node test cluster\nClusterName=reviewgen-test\n")
    (etc / "gres.conf").write_text(f"{MARKER}\nAutoDetect=off\n")
    stop(tmp_path, etc)
    assert sorted(p.name for p in etc.iterdir()) == []


def test_stop_keeps_another_set_ups_config(tmp_path):
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "slurm.conf").write_text("ClusterName=production\n")
    (etc / "gres.conf").write_text("AutoDetect=nvml\n")
    stop(tmp_path, etc)
    stop(tmp_path, etc)  # idempotent, with nothing of its own left to remove
    assert (etc / "slurm.conf").read_text() == "ClusterName=production\n"
    assert (etc / "gres.conf").read_text() == "AutoDetect=nvml\n"
