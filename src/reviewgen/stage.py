"""What every stage script shares: argument parsing for the params, and one-line errors.

A stage script is a thin CLI: it parses paths and params, calls the library, writes outputs.
``run_stage`` turns the library's own errors (bad params, bad input files) into one line on stderr
and exit status 2, so a user sees what to fix instead of a traceback; real bugs still show theirs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from reviewgen.config import add_config_arguments
from reviewgen.io import get_logger


def stage_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    add_config_arguments(parser)
    return parser


def _is_user_error(err: BaseException) -> bool:
    # reviewgen defines exception classes only for what a user must fix (params, input files, credentials,
    # a refusing API); anything else is a bug and keeps its traceback.
    return type(err).__module__.startswith("reviewgen")


def run_stage(main: Callable[[], None]) -> None:
    """Run a stage's ``main``; report user errors in one line (exit 2)."""
    try:
        main()
    except Exception as err:
        if not _is_user_error(err):
            raise
        get_logger("stage").error("%s", err)
        sys.exit(2)
