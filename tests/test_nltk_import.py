"""NLTK is imported without its optional scipy / scikit-learn extras, and they stay importable after."""

import os
import subprocess
import sys
from pathlib import Path

import reviewgen

SRC = str(Path(reviewgen.__file__).resolve().parents[1])
PROBE = """
import sys
import reviewgen.data.sentences, reviewgen.data.detokenize, reviewgen.evaluation.tense_metrics
print(sorted(m for m in ("scipy", "sklearn") if m in sys.modules))
from nltk.translate.bleu_score import sentence_bleu
print(round(sentence_bleu([["a", "b", "c", "d"]], ["a", "b", "c", "d"]), 3))
import scipy.stats, sklearn
print(scipy.stats.norm.cdf(0.0))
"""


def test_a_stage_importing_nltk_loads_neither_scipy_nor_sklearn():
    env = dict(os.environ, PYTHONPATH=SRC)
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True,
                          timeout=300)
    hidden, bleu, cdf = done.stdout.split("\n")[:3]
    assert hidden == "[]"
    assert bleu == "1.0"  # NLTK works
    assert cdf == "0.5"  # and the extras are importable once NLTK is
