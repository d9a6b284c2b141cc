"""NLTK without its optional scipy and scikit-learn extras, which nothing in reviewgen uses.

``nltk/__init__`` imports every NLTK subpackage, and two of them try to import extras at import time:
``nltk.metrics.association`` (``scipy.stats``, for Fisher's exact test) and ``nltk.classify.scikitlearn``
(scikit-learn, which also pulls in pandas). Both are optional to NLTK, which catches the ImportError and
leaves those features unavailable; they are most of ``import nltk``'s time, paid by every stage that
tokenises, detokenises or scores BLEU. scipy and scikit-learn stay installed (MLflow requires them), so
they are hidden only while NLTK's package runs its ``__init__``; a later ``import scipy`` anywhere works.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from typing import Any

HIDDEN = ("scipy", "sklearn")


class _WithoutExtras(importlib.abc.MetaPathFinder):
    """Finds ``nltk`` with the real finders and runs its ``__init__`` with :data:`HIDDEN` unimportable."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != "nltk":
            return None
        sys.meta_path.remove(self)  # once: the real finders answer from here on
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_without_extras(module: Any) -> None:
            hidden = [extra for extra in HIDDEN if extra not in sys.modules]  # already loaded: nothing to save
            for extra in hidden:
                sys.modules[extra] = None  # `import scipy` raises ImportError, as where it is not installed
            try:
                exec_module(module)
            finally:
                for extra in hidden:
                    if sys.modules.get(extra, False) is None:
                        del sys.modules[extra]

        spec.loader.exec_module = exec_without_extras
        return spec


def install() -> None:
    """Import NLTK without its extras from now on in this process (nothing to do once it is imported)."""
    if "nltk" not in sys.modules and not any(isinstance(f, _WithoutExtras) for f in sys.meta_path):
        sys.meta_path.insert(0, _WithoutExtras())
