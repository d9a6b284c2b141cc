"""reviewgen: a reproducible text-generation research pipeline on music reviews."""

from reviewgen.nltk_import import install as _install_nltk_import

__version__ = "0.1.0"

_install_nltk_import()  # before any module of ours imports NLTK (see reviewgen.nltk_import)
