"""What every stage script shares: argument parsing for the params, and one-line errors.

A stage script is a thin CLI: it parses paths and params, calls the library, writes outputs.
``run_stage`` turns the library's own errors (bad params, bad input files) into one line on stderr
and exit status 2, so a user sees what to fix instead of a traceback; real bugs still show theirs.
"""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from reviewgen.config import add_config_arguments
from reviewgen.io import get_logger


def log_to_file(path: str) -> str:
    """Also write the stage's log lines to ``path`` (the rule's ``log:`` file), appending, so a retried
    job keeps the log of the attempt that died. Progress bars go to the terminal only: they are not
    log records."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)  # DVC, unlike Snakemake, does not create it
    get_logger("stage")  # set up the stderr handler first, so the terminal keeps the lines too
    handler = logging.FileHandler(path, mode="a", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    logging.getLogger("reviewgen").addHandler(handler)
    return path


def stage_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    add_config_arguments(parser)
    # parsed by a type callable, so every stage logs to the file without code of its own
    parser.add_argument("--log-file", type=log_to_file, help="append the stage's log lines to this file")
    return parser


def _is_user_error(err: BaseException) -> bool:
    # reviewgen defines exception classes only for what a user must fix (params, input files, credentials,
    # a refusing API); anything else is a bug and keeps its traceback.
    return type(err).__module__.startswith("reviewgen")


def run_stage(main: Callable[[], None]) -> None:
    """Run a stage's ``main``; report user errors in one line (exit 2).

    A stage script that succeeds ends at once after its exit handlers (MLflow's, logging's) have run:
    its outputs are written, and tearing down torch's and MLflow's modules one by one is a fixed cost
    every stage would pay for nothing. Only a script's own ``main`` ends the process this way; no stage
    leaves a non-daemon thread running, which ``os._exit`` would not wait for.
    """
    try:
        main()
    except Exception as err:
        if not _is_user_error(err):
            raise
        get_logger("stage").error("%s", err)
        sys.exit(2)
    if getattr(main, "__module__", None) == "__main__":
        _exit_now()


def _exit_now() -> None:
    atexit._run_exitfuncs()  # what a normal exit runs first: ends the MLflow run, flushes the log file
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(0)
