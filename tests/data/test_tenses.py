import pytest

from reviewgen.config import ConfigError
from reviewgen.data.tenses import (
    REFERENCE,
    TENSES,
    Pair,
    build_tense_data,
    load_tense_data,
    regular_pasts,
    write_tense_data,
)

CFG = {"n_train": 1500, "n_valid": 100, "n_test": 200, "seed": 13}


@pytest.fixture(scope="module")
def data():
    return build_tense_data(CFG)


def _by_lemma(rows):
    return {row[0]: row for row in rows}


def test_irregular_and_doubling_verbs_have_their_forms_in_the_right_slots(data):
    rows = _by_lemma(data.train)
    assert rows["send"] == ("send", "sends", "sending", "sent")
    assert rows["split"] == ("split", "splits", "splitting", "split")
    assert rows["begin"] == ("begin", "begins", "beginning", "began")
    assert rows["run"] == ("run", "runs", "running", "ran")
    assert rows["go"] == ("go", "goes", "going", "went")


@pytest.mark.parametrize(("lemma", "past"), [("walk", "walked"), ("agree", "agreed"), ("die", "died"),
                                            ("carry", "carried"), ("play", "played"), ("stop", "stopped"),
                                            ("travel", "travelled"), ("panic", "panicked")])
def test_regular_pasts_spell_every_regular_pattern(lemma, past):
    assert past in regular_pasts(lemma)


@pytest.mark.parametrize(("lemma", "past"), [("lead", "led"), ("feed", "fed"), ("flee", "fled"),
                                            ("send", "sent"), ("split", "split"), ("go", "went")])
def test_a_strong_past_is_none_of_the_regular_ones_even_when_it_ends_in_ed(lemma, past):
    assert past not in regular_pasts(lemma)


def test_most_dictionary_verbs_are_regular(data):
    strong = [row for row in data.train if row[3] not in regular_pasts(row[0])]
    assert 0 < len(strong) < len(data.train) / 5
    assert {"send", "lead", "begin"} <= {row[0] for row in strong}


def test_rows_are_four_lowercase_forms_with_distinct_present_forms(data):
    for row in data.train:
        assert len(row) == len(TENSES) == 4
        assert all(form.isalpha() and form.islower() and form.isascii() for form in row)
        sp, tp, pg, _ = row
        assert len({sp, tp, pg}) == 3, row
        assert pg.endswith("ing") and tp.endswith("s"), row


def test_no_duplicate_rows_and_no_auxiliaries(data):
    lemmas = [row[0] for row in data.train]
    assert len(set(lemmas)) == len(lemmas)
    assert not {"be", "have", "do"} & set(lemmas)


def test_train_is_top_n_plus_the_reference_verbs(data):
    assert CFG["n_train"] <= len(data.train) <= CFG["n_train"] + len(REFERENCE)
    # The most common verbs lead the ranking.
    assert {"make", "say", "go", "get"} <= {row[0] for row in data.train[:20]}


def test_reference_pairs_are_present_and_their_verbs_trained(data):
    assert data.reference == list(REFERENCE)
    assert Pair("sent", "sends", "p", "tp") in data.reference
    train_forms = {form: row for row in data.train for form in row}
    for pair in data.reference:
        row = train_forms[pair.source]
        assert row[TENSES.index(pair.source_tense)] == pair.source
        assert row[TENSES.index(pair.target_tense)] == pair.target


def test_held_out_verbs_are_disjoint_from_training_and_each_other(data):
    train_forms = {form for row in data.train for form in row}
    valid = {form for pair in data.valid for form in pair[:2]}
    test = {form for pair in data.test for form in pair[:2]}
    assert len(data.valid) == CFG["n_valid"] and len(data.test) == CFG["n_test"]
    assert not valid & test
    assert not (valid | test) & train_forms


def test_held_out_pairs_use_two_different_tenses(data):
    for pair in data.valid + data.test:
        assert pair.source_tense != pair.target_tense
        assert pair.source_tense in TENSES and pair.target_tense in TENSES
    assert len({(p.source_tense, p.target_tense) for p in data.test}) == 12


def test_deterministic_and_seed_changes_only_the_pairs(data):
    again = build_tense_data(CFG)
    assert again == data
    other = build_tense_data({**CFG, "seed": 14})
    assert other.train == data.train
    assert other.test != data.test


def test_write_then_load_round_trips(data, tmp_path):
    write_tense_data(data, tmp_path)
    first = (tmp_path / "train.txt").read_text().splitlines()[0]
    assert first == " ".join(data.train[0])
    assert (tmp_path / "reference.txt").read_text().splitlines()[0] == "abandon abandoned sp p"
    assert load_tense_data(tmp_path) == data
    assert not list(tmp_path.glob("*.tmp"))


def test_bad_config_is_rejected():
    with pytest.raises(ConfigError, match="n_train"):
        build_tense_data({**CFG, "n_train": 0})
