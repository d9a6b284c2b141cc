import logging
import math

import numpy as np
import pytest

from reviewgen.data.tokens import EOS_ID, UNK_ID
from reviewgen.data.vocab import Vocab
from reviewgen.evaluation.interpolation import encode_words, homotopy_rows, interpolate


def test_linear_interpolation_includes_the_ends_and_is_evenly_spaced():
    z0, z1 = np.array([0.0, 2.0], dtype=np.float32), np.array([4.0, -2.0], dtype=np.float32)
    points = interpolate(z0, z1, 5)
    assert points.shape == (5, 2) and points.dtype == np.float32
    assert np.array_equal(points[0], z0) and np.array_equal(points[-1], z1)
    np.testing.assert_allclose(points[2], [2.0, 0.0])
    np.testing.assert_allclose(points[1], [1.0, 1.0])


def test_slerp_keeps_the_radius_where_the_straight_line_cuts_inside():
    z0, z1 = np.array([3.0, 0.0, 0.0]), np.array([0.0, 3.0, 0.0])
    points = interpolate(z0, z1, 3, "slerp")
    assert np.array_equal(points[0], z0) and np.array_equal(points[-1], z1)
    np.testing.assert_allclose(points[1], [3 / math.sqrt(2), 3 / math.sqrt(2), 0.0])
    assert np.linalg.norm(interpolate(z0, z1, 3)[1]) == pytest.approx(3 / math.sqrt(2))


def test_slerp_between_parallel_codes_is_the_straight_line():
    z0 = np.array([1.0, 1.0])
    np.testing.assert_allclose(interpolate(z0, 2 * z0, 4, "slerp"), interpolate(z0, 2 * z0, 4, "linear"))


@pytest.mark.parametrize(("steps", "method", "z1", "message"), [
    (1, "linear", np.ones(2), "at least 2"), (3, "cubic", np.ones(2), "method"), (3, "linear", np.ones(3), "one shape"),
])
def test_bad_interpolation_arguments(steps, method, z1, message):
    with pytest.raises(ValueError, match=message):
        interpolate(np.zeros(2), z1, steps, method)


def test_sentences_are_read_as_in_training_and_unknown_words_counted_with_a_warning(caplog):
    vocab = Vocab.from_counts({"the": 2, "band": 1, "played": 1})
    with caplog.at_level(logging.WARNING, logger="reviewgen"):
        encoded, oov = encode_words(vocab, ["The band played", "the zebra played"])
    assert encoded == [[vocab.stoi["the"], vocab.stoi["band"], vocab.stoi["played"], EOS_ID],
                       [vocab.stoi["the"], UNK_ID, vocab.stoi["played"], EOS_ID]]
    assert oov == [0, 1] and "sentence 2" in caplog.text and "zebra" in caplog.text
    with pytest.raises(ValueError, match="sentence 2 is empty"):
        encode_words(vocab, ["the band", " "])


def test_homotopy_rows_label_the_sentences_ends_and_fractions():
    rows = homotopy_rows("a", "b", ["x0", "x1", "x2", "x3"])
    assert rows == [("s0", "a"), ("z0", "x0"), ("t=0.33", "x1"), ("t=0.67", "x2"), ("z1", "x3"), ("s1", "b")]
