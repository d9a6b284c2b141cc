from reviewgen.data.detokenize import decode_text, detokenize
from reviewgen.data.sentences import make_tokenizer
from reviewgen.data.tokens import SPECIALS
from reviewgen.data.vocab import Vocab


def test_treebank_quotes_and_clitics_read_as_text():
    tokens = ["he", "said", "``", "it", "does", "n't", "work", "''", ",", "really", "."]
    assert detokenize(tokens) == 'he said "it doesn\'t work", really.'


def test_detokenising_undoes_the_pipeline_tokeniser():
    text = "it's the band's best record, isn't it?"
    assert detokenize(make_tokenizer("treebank")(text)) == text


def test_no_tokens_is_an_empty_sentence():
    assert detokenize([]) == ""


def test_word_ids_decode_to_a_sentence():
    vocab = Vocab(list(SPECIALS) + ["it", "does", "n't", "."])
    assert decode_text(vocab, vocab.encode(["it", "does", "n't", "."], add_bos=True, add_eos=True)) == "it doesn't."
