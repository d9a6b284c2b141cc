"""The embedded synthetic corpus, the default data of the pipeline and of most tests.

``corpus`` assembles reviews and their ground truth from the pieces: ``world`` (artists, tracks and
their features), ``lexicon`` (word lists, the planted groups among them), ``phrases`` (inflection and
the planted descriptors), ``grammar`` (sentences about the sound, the review's shape) and
``background`` (the other sentence families). Callers need only what is exported here.
"""

from reviewgen.data.synthetic.corpus import FEATURES, SyntheticCorpus, generate_corpus, truth

__all__ = ["FEATURES", "SyntheticCorpus", "generate_corpus", "truth"]
