import random

import nltk
import pandas as pd
import pytest
from nltk.tokenize import TreebankWordTokenizer
from nltk.tokenize.punkt import PunktSentenceTokenizer

from reviewgen.config import ConfigError
from reviewgen.data.sentences import assign_split, make_tokenizer, split_reviews, train_punkt

# Review paragraphs with their true sentences: each hides one hazard for a sentence splitter.
HAZARDS = [
    ["The track features Kendrick Lamar (feat. SZA) on the hook.", "It works."],
    ["Mr. Jones produced the record in two weeks.", "Nobody expected it to be this good."],
    ["It is Drake vs. the world on this one.", "The beat is sparse."],
    ["The band toured the U.S. last spring.", "They came back changed."],
    ["The outro samples No. 9 by Beethoven.", "Bold move."],
    ["Dr. Dre mixed the album himself.", "The drums hit hard."],
    ["St. Vincent plays every guitar part here.", "Her solo is a highlight."],
    ["I give it an 8.5 out of 10.", "That is generous."],
    ["The song fades out... and then comes back louder.", "A neat trick."],
    ['He called it "the best thing I have ever made."', "He may be right."],
    ["J. Cole raps over a soul sample.", "The flow is relaxed."],
]
FILLER_WORDS = (
    "the record opens with a slow piano line then drums come in and everything changes her voice carries "
    "whole album this is best song of year lyrics are about loss memory it sounds like nothing else out "
    "there 2 12 1999 4.5 30"
).split()


def _filler_vocabulary():
    """Filler words plus every word that opens or closes a hazard sentence, so Punkt also sees them
    mid-sentence without a period, as it would in a real corpus."""
    words = set(FILLER_WORDS)
    for paragraph in HAZARDS:
        for sentence in paragraph:
            parts = [w.strip('."()').lower() for w in sentence.split()]
            words.update(p for p in (parts[0], parts[-1]) if p.isalpha() and len(p) > 1)
    return sorted(words)


def _corpus(n_reviews=240, seed=0):
    """Reviews of random filler sentences, a few of them around a hazard paragraph.

    Each hazard appears only twice, as in real writing: a boundary repeated verbatim dozens of times
    (templated text) is learned as a collocation and merged, which is Punkt working as designed.
    """
    rng = random.Random(seed)
    vocabulary = _filler_vocabulary()

    def filler():
        words = rng.sample(vocabulary, rng.randint(5, 10))
        return " ".join(words).capitalize() + "."

    texts = []
    for index in range(n_reviews):
        middle = [" ".join(HAZARDS[index // 2])] if index < 2 * len(HAZARDS) else []
        texts.append(" ".join([filler(), filler(), *middle, filler()]))
    return texts


def _frame(texts, ids=None):
    ids = ids if ids is not None else [f"r{i}" for i in range(len(texts))]
    n = len(texts)
    return pd.DataFrame({
        "review_id": ids,
        "artist": [f"artist {i}" for i in range(n)],
        "title": [f"title {i}" for i in range(n)],
        "track_id": [f"t{i}" for i in range(n)],
        "text": texts,
        "energy": [i / max(n, 1) for i in range(n)],
        "valence": [0.5] * n,
        "feature_source": ["synthetic"] * n,
        "has_features": [True] * n,
    })


CFG = {"splitter": "trained", "lowercase": True, "tokenizer": "treebank", "min_tokens": 1,
       "max_tokens": 60, "valid_fraction": 0.2, "test_fraction": 0.2, "seed": 13}


@pytest.fixture(scope="module")
def corpus():
    return _corpus()


@pytest.fixture(scope="module")
def split(corpus):
    return split_reviews(_frame(corpus), CFG)


@pytest.fixture(scope="module")
def punkt(corpus):
    return train_punkt(corpus)


@pytest.mark.parametrize("paragraph", HAZARDS, ids=[p[0][:20] for p in HAZARDS])
def test_trained_splitter_finds_the_true_boundaries(punkt, paragraph):
    assert punkt.tokenize(" ".join(paragraph)) == paragraph


def test_stdlib_regex_engine_gives_stock_nltk_output(corpus, punkt):
    stock = PunktSentenceTokenizer(punkt._params)
    assert [punkt.tokenize(t) for t in corpus] == [stock.tokenize(t) for t in corpus]
    sentences = [s for t in corpus[:40] for s in stock.tokenize(t)] + ['He said "don\'t (ever)" -- twice...']
    tokenize = make_tokenizer("treebank")
    assert [tokenize(s) for s in sentences] == [TreebankWordTokenizer().tokenize(s) for s in sentences]


def test_titles_with_marks_do_not_end_sentences():
    text = '"Help!" opens the record. "Why?", the closer, is slower. Stunning! Buy it.'
    frame, _ = split_reviews(_frame([text]), {**CFG, "lowercase": False, "tokenizer": "whitespace"})
    assert frame["text"].tolist() == ['"Help!" opens the record.', '"Why?", the closer, is slower.',
                                      "Stunning!", "Buy it."]


def test_rows_carry_review_columns_positions_and_tokens(split):
    frame, _ = split
    first = frame[frame["review_id"] == "r2"].reset_index(drop=True)
    assert first["position"].tolist() == [0, 1, 2, 3, 4]
    assert first["sentence_id"].tolist() == [f"r2:{p}" for p in range(5)]
    assert first.loc[2, "text"] == "mr. jones produced the record in two weeks."
    assert first.loc[2, "tokens"] == ["mr.", "jones", "produced", "the", "record", "in", "two", "weeks", "."]
    assert (frame["n_tokens"] == frame["tokens"].map(len)).all()
    assert (first[["artist", "title", "track_id", "feature_source"]].iloc[0]
            == ["artist 2", "title 2", "t2", "synthetic"]).all()
    assert first["energy"].eq(2 / 240).all() and first["has_features"].all()
    assert list(frame.columns[:7]) == ["sentence_id", "review_id", "position", "split", "text", "tokens",
                                       "n_tokens"]
    assert frame["sentence_id"].is_unique


def test_splits_are_by_review_and_cover_all_three(split):
    frame, report = split
    per_review = frame.groupby("review_id")["split"].nunique()
    assert (per_review == 1).all()
    assert set(frame["split"]) == {"train", "valid", "test"}
    counts = {name: report["splits"][name]["reviews"] for name in ("train", "valid", "test")}
    assert sum(counts.values()) == 240
    assert counts["train"] > counts["valid"] > 20 and counts["test"] > 20


def test_split_of_a_review_ignores_row_order_and_other_reviews(corpus):
    frame = _frame(corpus[:60])
    base = split_reviews(frame, CFG)[0]
    shuffled = split_reviews(frame.sample(frac=1.0, random_state=3), CFG)[0]
    grown = split_reviews(_frame(corpus[:60] + ["Another review of a record. It is fine."]), CFG)[0]

    def by_review(result):
        return result.groupby("review_id")["split"].first().to_dict()

    assert by_review(shuffled) == by_review(base)
    assert {k: v for k, v in by_review(grown).items() if k in by_review(base)} == by_review(base)


def test_deterministic_for_a_seed_and_different_for_another(corpus):
    frame = _frame(corpus[:60])
    one, report_one = split_reviews(frame, CFG)
    two, report_two = split_reviews(frame, CFG)
    pd.testing.assert_frame_equal(one, two)
    assert report_one == report_two
    draws = [assign_split(f"r{i}", 13, 0.1, 0.1) for i in range(2000)]
    others = [assign_split(f"r{i}", 14, 0.1, 0.1) for i in range(2000)]
    assert draws != others
    assert 150 < draws.count("test") < 250 and 150 < draws.count("valid") < 250


def test_reviews_of_one_track_share_a_split():
    # 60 tracks with four reviews each; reviews without a track id are split on their own.
    n = 240
    frame = _frame([f"Review number {i} is fine. It has two sentences." for i in range(n)])
    frame["track_id"] = [f"t{i % 60}" for i in range(n)]
    frame.loc[frame.index[-20:], "track_id"] = None
    result, report = split_reviews(frame, CFG)
    per_track = result.dropna(subset=["track_id"]).groupby("track_id")["split"].nunique()
    assert len(per_track) == 60 and (per_track == 1).all()
    assert report["tracks_in_two_splits"] == 0
    assert set(result["split"]) == {"train", "valid", "test"}
    untracked = result[result["track_id"].isna()].groupby("review_id")["split"].first()
    assert len(untracked) == 20 and untracked.nunique() > 1


def test_token_bounds_drop_and_count_sentences():
    # Paragraph breaks fix the boundaries: Punkt trained on one review learns little.
    text = "Great.\n\nThis song is a very good one.\n\n" + "So " * 70 + "long."
    frame, report = split_reviews(_frame([text]), {**CFG, "min_tokens": 3, "max_tokens": 60})
    assert frame["text"].tolist() == ["this song is a very good one."]
    # The position counts the dropped first sentence, so ids stay stable when the bounds change.
    assert frame["position"].tolist() == [1]
    assert report["sentences_dropped"] == {"too_short": 1, "too_long": 1, "total": 2}
    assert frame["n_tokens"].between(3, 60).all()


def test_whitespace_tokens_case_and_paragraphs():
    text = "Side A opens strong\n\nThe Closer Is Long, really."
    cfg = {**CFG, "tokenizer": "whitespace", "lowercase": False}
    frame, _ = split_reviews(_frame([text]), cfg)
    assert frame["text"].tolist() == ["Side A opens strong", "The Closer Is Long, really."]
    assert frame["tokens"].tolist()[1] == ["The", "Closer", "Is", "Long,", "really."]


def test_report_counts_add_up(split):
    frame, report = split
    assert report["reviews_in"] == 240
    assert report["sentences_out"] == len(frame)
    assert sum(s["sentences"] for s in report["splits"].values()) == len(frame)
    assert sum(s["reviews_assigned"] for s in report["splits"].values()) == 240
    assert report["reviews_without_sentences"] == 0


def test_empty_and_missing_texts_give_no_sentences():
    frame, report = split_reviews(_frame(["A fine record indeed.", "", None]), CFG)
    assert frame["review_id"].tolist() == ["r0"]
    assert report["reviews_without_sentences"] == 2


def test_punkt_tab_without_data_names_the_fix(monkeypatch, tmp_path):
    monkeypatch.setattr(nltk.data, "path", [str(tmp_path)])
    with pytest.raises(ConfigError, match="splitter: trained"):
        split_reviews(_frame(["A record. Another one."]), {**CFG, "splitter": "punkt_tab"})


def test_punkt_tab_uses_installed_data(monkeypatch, tmp_path):
    model = tmp_path / "tokenizers" / "punkt_tab" / "english"
    model.mkdir(parents=True)
    (model / "abbrev_types.txt").write_text("dr\n")
    for name in ("collocations.tab", "sent_starters.txt", "ortho_context.tab"):
        (model / name).write_text("")
    monkeypatch.setattr(nltk.data, "path", [str(tmp_path)])
    frame, _ = split_reviews(_frame(["Dr. Dre made it. Good record."]), {**CFG, "splitter": "punkt_tab"})
    assert frame["text"].tolist() == ["dr. dre made it.", "good record."]


def test_bad_settings_are_rejected():
    frame = _frame(["A record."])
    with pytest.raises(ConfigError, match="test_fraction"):
        split_reviews(frame, {**CFG, "valid_fraction": 0.5, "test_fraction": 0.5})
    with pytest.raises(ConfigError, match="sentences.splitter"):
        split_reviews(frame, {**CFG, "splitter": "regex"})
    with pytest.raises(ValueError, match="track_id"):
        split_reviews(frame.drop(columns="track_id"), CFG)


def test_every_treebank_pattern_is_guarded_and_gives_stock_output():
    from reviewgen.data.sentences import _Treebank

    rules = [*_Treebank.STARTING_QUOTES, *_Treebank.PUNCTUATION, _Treebank.PARENS_BRACKETS,
             _Treebank.DOUBLE_DASHES, *_Treebank.ENDING_QUOTES]
    assert all(pattern.needle is not None for pattern, _ in rules)
    assert all(p.needle is not None for p in _Treebank.CONTRACTIONS2 + _Treebank.CONTRACTIONS3)
    # One string per rule, in upper and lower case, and non-ASCII letters that re.IGNORECASE folds to ASCII.
    texts = ['"Start" and end."', "x ''quoted'' and ``ticks`` 'em' ", "a: b,c 3,4 end,", "wait... 100% #1 @home & co;",
             "Why? No! (yes) [a] {b} <c> -- d.", "I CANNOT believe it's gonna work, wanna bet?",
             "'Tis the season, 'twas fun, more'n that.", "Gimme it, LEMME see, d'ye GOTTA go?",
             "They'll've we're I'd He's don't", "Th\u0131s canno\u0131 be 'T\u0131s \u017ftill gonn\u0430"]
    tokenize = make_tokenizer("treebank")
    for text in texts + [t.lower() for t in texts] + [t.upper() for t in texts]:
        assert tokenize(text) == TreebankWordTokenizer().tokenize(text)


def test_punkt_learns_from_a_seeded_sample_within_the_budget():
    from reviewgen.data.sentences import punkt_sample

    texts = [f"review {i} " * 10 for i in range(100)]
    assert punkt_sample(texts, None, 1) is texts
    assert punkt_sample(texts, 10**6, 1) is texts
    sample = punkt_sample(texts, 1000, 1)
    assert sample == punkt_sample(texts, 1000, 1) != punkt_sample(texts, 1000, 2)
    assert 1000 <= sum(map(len, sample)) < 1000 + max(map(len, texts))
    assert sample == sorted(sample, key=texts.index)
