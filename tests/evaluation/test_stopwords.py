from reviewgen.evaluation import stopwords as module
from reviewgen.evaluation.stopwords import PINNED_ENGLISH, english_stopwords


class _Missing:
    def words(self, language):
        raise LookupError("Resource 'stopwords' not found.")


class _Installed:
    def words(self, language):
        assert language == "english"
        return ["the", "a", "i'm"]


def test_pinned_list_is_the_179_word_list():
    assert len(PINNED_ENGLISH) == 179
    assert {"the", "ourselves", "should've", "wouldn't", "ma"} <= PINNED_ENGLISH
    # The words nltk_data added in 2025 are not in the pinned list.
    assert not {"i'm", "they're", "we've"} & PINNED_ENGLISH


def test_falls_back_to_the_pinned_list_when_nltk_data_is_missing(monkeypatch):
    monkeypatch.setattr(module, "_nltk_stopwords", _Missing())
    assert english_stopwords() == PINNED_ENGLISH


def test_uses_nltks_installed_list_when_there_is_one(monkeypatch):
    monkeypatch.setattr(module, "_nltk_stopwords", _Installed())
    assert english_stopwords() == frozenset({"the", "a", "i'm"})
