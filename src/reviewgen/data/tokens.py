"""The special tokens every vocabulary starts with, and their ids: defined here once.

Word vocabularies, character vocabularies and the tense model's character codec all put these four
first, in this order, so a model can pad, start a sequence and recognise its end by id alone, without
knowing the vocabulary. Nothing here imports anything, so any layer may use it.
"""

SPECIALS = ("<pad>", "<bos>", "<eos>", "<unk>")
PAD, BOS, EOS, UNK = SPECIALS
PAD_ID, BOS_ID, EOS_ID, UNK_ID = range(len(SPECIALS))
