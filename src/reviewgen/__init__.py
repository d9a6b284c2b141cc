"""reviewgen: a reproducible text-generation research pipeline on music reviews."""

__version__ = "0.1.0"
