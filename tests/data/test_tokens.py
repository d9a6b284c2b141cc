"""The special ids are the positions of the special tokens in every vocabulary the models read."""

from reviewgen.data.charcodec import CharCodec
from reviewgen.data.tokens import BOS_ID, EOS_ID, PAD_ID, SPECIALS, UNK_ID
from reviewgen.data.vocab import Vocab


def test_ids_are_distinct_and_name_the_specials_in_order():
    assert [SPECIALS[i] for i in (PAD_ID, BOS_ID, EOS_ID, UNK_ID)] == ["<pad>", "<bos>", "<eos>", "<unk>"]


def test_word_vocabulary_gives_the_specials_these_ids():
    vocab = Vocab.from_counts({"loud": 3, "soft": 1})
    assert (vocab.pad_id, vocab.bos_id, vocab.eos_id, vocab.unk_id) == (PAD_ID, BOS_ID, EOS_ID, UNK_ID)
    assert vocab.encode(["loud", "nowhere"], add_bos=True, add_eos=True)[::3] == [BOS_ID, EOS_ID]


def test_char_codec_frames_a_word_with_these_ids():
    codec = CharCodec.from_words(["ab"])
    ids, lengths = codec.batch(["ab", "a", "z"])
    assert ids[0, -1] == EOS_ID and ids[1, -1] == PAD_ID and ids[2, 0] == UNK_ID
    assert lengths.tolist() == [3, 2, 2]
