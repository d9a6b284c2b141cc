"""Stage scripts' shared CLI: --log-file sends the stage's log lines to the rule's log file."""

from __future__ import annotations

import logging
import subprocess
import sys

from reviewgen.io import get_logger
from reviewgen.stage import run_stage, stage_parser


def test_log_file_receives_log_lines_and_appends(tmp_path):
    path = tmp_path / "stage.log"
    path.write_text("earlier attempt\n")
    root = logging.getLogger("reviewgen")
    before, level = list(root.handlers), root.level
    root.setLevel(logging.INFO)  # another test in this process (the bench's main) may have raised it
    try:
        args = stage_parser("test").parse_args(["--log-file", str(path)])
        assert args.log_file == str(path)
        get_logger("demo").info("one line for the log")
        for handler in root.handlers:
            handler.flush()
    finally:
        for handler in root.handlers[len(before):]:
            handler.close()
        root.handlers[:] = before
        root.setLevel(level)
    lines = path.read_text().splitlines()
    assert lines[0] == "earlier attempt"
    assert lines[1].endswith("INFO reviewgen.demo: one line for the log")


def test_a_stage_script_ends_after_its_exit_handlers_and_output(tmp_path):
    marker = tmp_path / "exit-handler-ran"
    script = tmp_path / "stage_script.py"
    script.write_text(
        "import atexit, pathlib\n"
        "from reviewgen.stage import run_stage\n"
        "def main():\n"
        f"    atexit.register(pathlib.Path({str(marker)!r}).write_text, 'yes')\n"
        "    print('buffered, no newline', end='')\n"
        "if __name__ == '__main__':\n"
        "    run_stage(main)\n"
        "    raise SystemExit(3)  # not reached: run_stage ends the process with status 0\n"
    )
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert proc.stdout == "buffered, no newline"
    assert marker.read_text() == "yes"


def test_run_stage_returns_when_main_is_not_a_scripts_own():
    called = []
    run_stage(lambda: called.append(True))  # this module is not __main__: the process goes on
    assert called == [True]
