"""``reviewgen`` on what a pipeline run wrote: the tense commands and every language model's samples
answer from the exports the training stages wrote (ONNX graphs, the count n-gram's arrays), without
importing torch."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]

COMMANDS = [["tense", "convert", "walk", "--from", "sp", "--to", "p"], ["tense", "generate", "-n", "3"],
            ["sample", "--model", "wordlm", "-n", "2", "--max-len", "8"],
            ["sample", "--model", "charlm-ngram", "-n", "2", "--max-len", "20"],
            *(["sample", "--model", f"charlm-{arch}", "-n", "2", "--max-len", "20"]
              for arch in yaml.safe_load((REPO / "params.yaml").read_text())["charlm"]["archs"])]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_the_command_answers_from_the_run_s_exports_without_torch(dvc_pipeline, command):
    code = (f"import sys; from reviewgen.cli import main; code = main({command!r}); "
            f"print('torch' in sys.modules); sys.exit(code)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=dvc_pipeline.root, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    *answer, imported_torch = proc.stdout.splitlines()
    assert answer and imported_torch == "False"
