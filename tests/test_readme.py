"""Every command in the README's bash blocks is run by a test, so an example cannot rot.

Each command is listed below exactly once: RUN_HERE runs it (or its tiny-params equivalent) in the shared
`dvc_pipeline` copy; TESTED_IN names the test file that runs it already; NOT_RUN says why a test cannot
(it needs a network or a GPU, or never ends). A README command in none of them fails the test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SHELL_SETUP = {"source .venv/bin/activate"}
# README command -> the command run instead (itself where it is cheap on tiny params).
RUN_HERE = {
    "dvc repro": "dvc repro",
    "dvc dag": "dvc dag",
    "dvc status": "dvc status",
    "snakemake -n --cores 2": "snakemake -n --cores 2",
    "dvc exp run $(reviewgen params dvc-args params/full.yaml)": "reviewgen params dvc-args params/full.yaml",
    "reviewgen sample --model wordlm --energy 0.9 -n 5 --temperature 0.8":
        "reviewgen sample --model wordlm --energy 0.9 -n 5 --temperature 0.8",
    "reviewgen sample --model charlm-lstm --temperature 0.5": "reviewgen sample --model charlm-lstm --temperature 0.5",
    'reviewgen interpolate "the guitars roar over the drums" "a quiet piano closes the record" --steps 7':
        'reviewgen interpolate "the guitars roar over the drums" "a quiet piano closes the record" --steps 7',
    "reviewgen tense convert abandon --from sp --to p": "reviewgen tense convert abandon --from sp --to p",
    "reviewgen tense convert --file pairs.txt": "reviewgen tense convert --file pairs.txt",
    "reviewgen tense generate -n 10 [--prior standard|aggregate] [--variant gru]":
        "reviewgen tense generate -n 10 --prior aggregate --variant gru",
    'python -c "import torch; print(torch.cuda.is_available())"':
        'python -c "import torch; print(torch.cuda.is_available())"',
}
TESTED_IN = {
    "make run": "Makefile",
    "make test": "Makefile",
    "make bench": "tests/test_bench.py",
    "python -m reviewgen.pipeline.dvc_yaml --write": "tests/pipeline/test_dvc_yaml.py",
    "python -m reviewgen.pipeline.dvc_yaml --check": "tests/pipeline/test_dvc_yaml.py",
    "snakemake --cores 2": "tests/conftest.py",
    "snakemake --cores 2 --configfile params/tiny.yaml": "tests/conftest.py",
    "snakemake --cores 4 --profile slurm --configfile params/full.yaml": "tests/workflow/test_slurm.py",
    "snakemake --cores 4 --profile slurm": "tests/workflow/test_slurm.py",
    "snakemake --cores 4 --profile slurm --profile slurm/cpu-only": "tests/workflow/test_slurm.py",
    "snakemake --cores 4 sweeps": "tests/workflow/test_sweeps.py",
    "snakemake --cores 4 --profile slurm sweeps": "tests/workflow/test_slurm.py",
    "dvc exp run --queue -S 'tense.kl.kind=monotonic,cyclical'": "tests/workflow/test_dvc_queue.py",
    "dvc queue start -j 2": "tests/workflow/test_dvc_queue.py",
    "dvc exp show": "tests/workflow/test_dvc_queue.py",
    "mlflow server --host 127.0.0.1 --port 5000 --backend-store-uri sqlite:///$PWD/mlflow-server.db "
    "--artifacts-destination $PWD/mlartifacts": "tests/workflow/test_mlflow_server.py",
    "export MLFLOW_TRACKING_URI=http://127.0.0.1:5000": "tests/workflow/test_mlflow_server.py",
    "dvc push": "tests/workflow/test_dvc_remote.py",
}
NOT_RUN = {
    "mlflow ui --backend-store-uri sqlite:///$PWD/mlflow.db --host 127.0.0.1 --port 5000": "a server that never ends",
    "mlflow server --app-name basic-auth --host <private address> --port 5000 ...": "a placeholder address",
    "export MLFLOW_TRACKING_USERNAME=... MLFLOW_TRACKING_PASSWORD=...": "placeholder credentials",
    "pip install --force-reinstall torch==2.13.0 --index-url https://download.pytorch.org/whl/cu128":
        "needs the network and a GPU",
    'pip install "dvc[s3]"': "needs the network",
    "dvc remote add -d team s3://my-bucket/reviewgen": "a placeholder bucket",
    "dvc remote modify --local team profile my-aws-profile": "a placeholder profile",
    'git add .dvc/config && git commit -m "DVC team remote"': "commits to the user's repository",
}


def readme_commands(text: str) -> list[str]:
    """The commands of the README's ```bash blocks: comments cut, continuation lines joined."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip() if not line.lstrip().startswith("#") else ""
            if line:
                commands.append(" ".join(line.split()))
    return commands


COMMANDS = readme_commands((ROOT / "README.md").read_text(encoding="utf-8"))


def test_every_readme_command_is_covered():
    known = SHELL_SETUP | set(RUN_HERE) | set(TESTED_IN) | set(NOT_RUN)
    missing = [c for c in COMMANDS if c not in known]
    assert not missing, f"README commands no test covers (add them to tests/test_readme.py): {missing}"
    stale = sorted((set(RUN_HERE) | set(TESTED_IN) | set(NOT_RUN)) - set(COMMANDS))
    assert not stale, f"listed here but no longer in the README: {stale}"
    for path in TESTED_IN.values():
        assert (ROOT / path).exists(), path


@pytest.mark.parametrize("command", [c for c in RUN_HERE if c in COMMANDS])
def test_readme_command_runs(dvc_pipeline, command):
    (dvc_pipeline.root / "pairs.txt").write_text("abandon sp p\nbegin p tp\n")
    proc = dvc_pipeline.run("bash", "-c", RUN_HERE[command], timeout=300)
    assert proc.returncode == 0
    if command.startswith("reviewgen"):
        assert proc.stdout.strip(), command
    if command == "dvc repro":
        assert "up to date" in proc.stdout.lower(), proc.stdout
