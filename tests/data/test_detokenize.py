from reviewgen.data.detokenize import detokenize
from reviewgen.data.sentences import make_tokenizer


def test_treebank_quotes_and_clitics_read_as_text():
    tokens = ["he", "said", "``", "it", "does", "n't", "work", "''", ",", "really", "."]
    assert detokenize(tokens) == 'he said "it doesn\'t work", really.'


def test_detokenising_undoes_the_pipeline_tokeniser():
    text = "it's the band's best record, isn't it?"
    assert detokenize(make_tokenizer("treebank")(text)) == text


def test_no_tokens_is_an_empty_sentence():
    assert detokenize([]) == ""
