"""Stage scripts' shared CLI: --log-file sends the stage's log lines to the rule's log file."""

from __future__ import annotations

import logging

from reviewgen.io import get_logger
from reviewgen.stage import stage_parser


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
