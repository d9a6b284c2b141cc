"""The import closure: what a stage's code dependencies are made of."""

from __future__ import annotations

from pathlib import Path

from reviewgen.pipeline.imports import closure, code_deps


def make(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_transitive_relative_lazy_and_package_inits(tmp_path):
    make(tmp_path, {
        "script.py": "from reviewgen.a import run\n",
        "src/reviewgen/__init__.py": "",
        "src/reviewgen/a.py": "from .sub import b\n\ndef run():\n    from reviewgen import lazy\n",
        "src/reviewgen/sub/__init__.py": "",
        "src/reviewgen/sub/b.py": "from ..c import x\nimport os\n",
        "src/reviewgen/c.py": "x = 1\n",
        "src/reviewgen/lazy.py": "",
        "src/reviewgen/unused.py": "",
    })
    assert closure(tmp_path, tmp_path / "script.py") == {
        "reviewgen", "reviewgen.a", "reviewgen.sub", "reviewgen.sub.b", "reviewgen.c", "reviewgen.lazy"}
    assert code_deps(tmp_path, "script.py") == [
        "src/reviewgen/__init__.py", "src/reviewgen/a.py", "src/reviewgen/c.py", "src/reviewgen/lazy.py",
        "src/reviewgen/sub/__init__.py", "src/reviewgen/sub/b.py"]


def test_type_checking_imports_never_run(tmp_path):
    make(tmp_path, {
        "script.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from reviewgen import hint\n"
                     "else:\n    from reviewgen import real\n",
        "src/reviewgen/__init__.py": "",
        "src/reviewgen/hint.py": "",
        "src/reviewgen/real.py": "",
    })
    assert closure(tmp_path, tmp_path / "script.py") == {"reviewgen", "reviewgen.real"}


def test_a_new_import_is_a_new_dependency(tmp_path):
    make(tmp_path, {"script.py": "import reviewgen.a\n", "src/reviewgen/__init__.py": "",
                    "src/reviewgen/a.py": "", "src/reviewgen/b.py": ""})
    before = code_deps(tmp_path, "script.py")
    (tmp_path / "src/reviewgen/a.py").write_text("import reviewgen.b\n")
    assert set(code_deps(tmp_path, "script.py")) - set(before) == {"src/reviewgen/b.py"}


def _models_in(stage_name: str) -> set[str]:
    from reviewgen.pipeline.stages import STAGES
    from tests.conftest import REPO

    prefix = "src/reviewgen/models/"
    return {p.removeprefix(prefix) for p in code_deps(REPO, STAGES[stage_name].script) if p.startswith(prefix)}


def test_the_model_registry_imports_no_model():
    # The registry names its classes as strings: importing it (as every stage saving a model does)
    # must not make one model's module a code dependency of every training stage.
    from tests.conftest import REPO

    imported = code_deps(REPO, "src/reviewgen/models/registry.py")
    assert "src/reviewgen/io.py" in imported and not [p for p in imported if "/models/" in p]


def test_each_training_stage_depends_on_its_own_model_only():
    charlm, tense = _models_in("train_charlm"), _models_in("train_tense_cvae")
    assert {"charrnn.py", "ngram.py"} <= charlm and "tense_cvae.py" not in charlm
    assert not {"sentence_vae.py", "wordlm.py"} & charlm
    assert "tense_cvae.py" in tense and "charrnn.py" not in tense
    assert "ngram.py" in _models_in("train_ngram") and "tense_cvae.py" not in _models_in("train_ngram")
    assert "wordlm.py" in _models_in("train_wordlm") and "tense_cvae.py" not in _models_in("train_wordlm")
    assert "sentence_vae.py" in _models_in("train_sentence_vae")


def test_reports_running_a_model_depend_on_its_module():
    # A report samples from a trained model, so editing that model's code reruns the report too.
    assert "tense_cvae.py" in _models_in("report_tense") and "charrnn.py" not in _models_in("report_tense")
    assert "sentence_vae.py" in _models_in("report_homotopy")
    assert "wordlm.py" in _models_in("report_wordfreq")
