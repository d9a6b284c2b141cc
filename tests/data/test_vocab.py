from collections import Counter

import pandas as pd
import pytest

from reviewgen.config import ConfigError
from reviewgen.data.tokens import SPECIALS
from reviewgen.data.vocab import Vocab, build_vocabs

CFG = {"min_freq": 2, "max_size": 100, "char_min_freq": 1}


def _sentences():
    rows = [
        ("train", "the song is loud"),
        ("train", "the song is soft"),
        ("train", "the beat is loud"),
        ("valid", "the riff is heavy"),
        ("test", "zzz qqq xxx"),
    ]
    return pd.DataFrame({"split": [s for s, _ in rows], "text": [t for _, t in rows],
                         "tokens": [t.split() for _, t in rows]})


def test_specials_come_first_in_order():
    vocab = Vocab.from_counts(Counter({"a": 3}))
    assert vocab.itos[:4] == list(SPECIALS)
    assert (vocab.pad_id, vocab.bos_id, vocab.eos_id, vocab.unk_id) == (0, 1, 2, 3)


def test_min_freq_and_frequency_order_with_alphabetical_ties():
    vocab = Vocab.from_counts(Counter({"b": 2, "a": 2, "c": 5, "rare": 1}), min_freq=2)
    assert vocab.itos[4:] == ["c", "a", "b"]
    assert "rare" not in vocab
    assert vocab.counts[4:] == [5, 2, 2]


def test_max_size_counts_the_specials():
    vocab = Vocab.from_counts(Counter({"a": 3, "b": 2, "c": 1}), max_size=6)
    assert len(vocab) == 6
    assert vocab.itos[4:] == ["a", "b"]
    with pytest.raises(ValueError, match="max_size"):
        Vocab.from_counts(Counter({"a": 1}), max_size=3)


def test_special_strings_in_the_data_are_not_duplicated():
    vocab = Vocab.from_counts(Counter({"<unk>": 9, "a": 1}))
    assert vocab.itos == [*SPECIALS, "a"]


def test_deterministic_regardless_of_insertion_order():
    one = Vocab.from_counts({"x": 1, "y": 1, "z": 2})
    two = Vocab.from_counts({"z": 2, "y": 1, "x": 1})
    assert one.itos == two.itos == [*SPECIALS, "z", "x", "y"]


def test_encode_decode_round_trip_and_unknowns():
    vocab = Vocab.from_counts(Counter({"the": 2, "song": 1}))
    ids = vocab.encode(["the", "song"], add_bos=True, add_eos=True)
    assert ids[0] == vocab.bos_id and ids[-1] == vocab.eos_id
    assert vocab.decode(ids) == ["the", "song"]
    assert vocab.decode(ids, strip_specials=False) == ["<bos>", "the", "song", "<eos>"]
    unknown = vocab.encode(["the", "banjo"])
    assert unknown == [vocab.stoi["the"], vocab.unk_id]
    assert vocab.decode(unknown + [vocab.pad_id]) == ["the", "<unk>"]


def test_a_character_vocabulary_spells_its_ids():
    vocab = Vocab(list(SPECIALS) + list("ab "))
    assert vocab.spell(vocab.encode("ab ba", add_bos=True, add_eos=True)) == "ab ba"


def test_save_and_load(tmp_path):
    vocab = Vocab.from_counts(Counter({"a": 3, "b": 2}), min_freq=2, max_size=10)
    path = tmp_path / "vocab.json"
    vocab.save(path)
    loaded = Vocab.load(path)
    assert loaded == vocab
    assert loaded.stoi == vocab.stoi
    assert loaded.params == {"min_freq": 2, "max_size": 10}
    assert loaded.counts == [0, 0, 0, 0, 3, 2]


def test_invalid_itos_is_rejected():
    with pytest.raises(ValueError, match="start with"):
        Vocab(["a", *SPECIALS])


def test_build_vocabs_counts_the_train_split_only():
    words, chars, report = build_vocabs(_sentences(), CFG)
    assert words.itos[4:] == ["is", "the", "loud", "song"]
    assert "riff" not in words and "zzz" not in words
    assert "z" not in chars and "q" not in chars
    assert set("the song is loud") <= set(chars.itos)
    assert report["words"]["train_tokens"] == 12
    # beat and soft are seen once: 10 of the 12 train tokens are covered.
    assert report["words"]["train_coverage"] == pytest.approx(10 / 12)
    # the riff is heavy: riff and heavy are unknown.
    assert report["words"]["valid_oov_rate"] == pytest.approx(0.5)
    assert report["chars"]["train_coverage"] == 1.0
    # riff and heavy bring f (seen in "soft"), r, h, v, y: r, v and y are new.
    assert report["chars"]["valid_oov_rate"] == pytest.approx(3 / len("the riff is heavy"))


def test_build_vocabs_is_deterministic_under_row_order():
    frame = _sentences()
    first = build_vocabs(frame, CFG)
    shuffled = build_vocabs(frame.sample(frac=1.0, random_state=1), CFG)
    assert first[0] == shuffled[0] and first[1] == shuffled[1] and first[2] == shuffled[2]


def test_build_vocabs_rejects_bad_config_and_input():
    with pytest.raises(ConfigError, match="vocab.min_freq"):
        build_vocabs(_sentences(), {**CFG, "min_freq": 0})
    with pytest.raises(ValueError, match="no train"):
        build_vocabs(_sentences().query("split != 'train'"), CFG)
