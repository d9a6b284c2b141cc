import pytest

from reviewgen.data.charcodec import CharCodec


def test_round_trip_with_eos_and_padding():
    codec = CharCodec.from_words(["sent", "sends"])
    ids, lengths = codec.batch(["sent", "sends"])
    assert lengths.tolist() == [5, 6]
    assert ids[0].tolist()[-1] == 0 and ids[0].tolist()[4] == 2
    assert [codec.decode(row.tolist()) for row in ids] == ["sent", "sends"]


def test_unknown_characters_become_unk_and_specials_are_checked():
    codec = CharCodec.from_words(["ab"])
    assert codec.encode("az") == [codec.stoi["a"], 3, 2]
    with pytest.raises(ValueError, match="specials"):
        CharCodec(["a", "b"])
