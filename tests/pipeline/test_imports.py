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
