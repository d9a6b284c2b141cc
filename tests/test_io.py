"""Tests for reviewgen.io: the atomic directory writer."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from reviewgen.io import atomic_directory


def test_atomic_directory_replaces_an_old_output_only_when_done(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), atomic_directory(target) as tmp:
        (tmp / "half.txt").write_text("half")
        raise RuntimeError("killed")
    assert sorted(p.name for p in target.iterdir()) == ["old.txt"]
    with atomic_directory(target) as tmp:
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_atomic_directory_killed_mid_write_leaves_no_finished_looking_directory(tmp_path):
    """kill -9 while files are being written: no cleanup code runs, yet the target never appears."""
    target = tmp_path / "report"
    script = (
        "import sys, time\n"
        "from reviewgen.io import atomic_directory\n"
        "with atomic_directory(sys.argv[1]) as tmp:\n"
        "    (tmp / 'first.csv').write_text('a')\n"
        "    print('written', flush=True)\n"
        "    time.sleep(60)\n"
        "    (tmp / 'second.csv').write_text('b')\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(target)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "written"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert not target.exists()
    leftovers = list(tmp_path.iterdir())
    assert leftovers and all(p.name.startswith(".report.") and p.name.endswith(".tmp") for p in leftovers)
