"""English stopwords without a download: NLTK's installed list, else a pinned copy of it.

The pinned list is the 179 words that ``nltk_data``'s ``corpora/stopwords/english`` held until
February 2025 (nltk_data commit 47111d8, PR #228, added 19 contractions such as "i'm" and "they're",
making 198). A fresh ``nltk.download('stopwords')`` therefore gives one list or the other depending on
the date, so the offline fallback pins the older one. With the Treebank tokenizer the pipeline uses,
contractions are split ("i'm" -> "i", "'m"), so the 19 extra words rarely match a token anyway.
"""

from __future__ import annotations

from nltk.corpus import stopwords as _nltk_stopwords

PINNED_ENGLISH: frozenset[str] = frozenset("""
i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself yourselves he him his himself
she she's her hers herself it it's its itself they them their theirs themselves what which who whom this that that'll
these those am is are was were be been being have has had having do does did doing a an the and but if or because as
until while of at by for with about against between into through during before after above below to from up down in
out on off over under again further then once here there when where why how all any both each few more most other
some such no nor not only own same so than too very s t can will just don don't should should've now d ll m o re ve y
ain aren aren't couldn couldn't didn didn't doesn doesn't hadn hadn't hasn hasn't haven haven't isn isn't ma mightn
mightn't mustn mustn't needn needn't shan shan't shouldn shouldn't wasn wasn't weren weren't won won't wouldn wouldn't
""".split())


def english_stopwords() -> frozenset[str]:
    """NLTK's English stopwords if its data is installed (179 or 198 words, see the module doc), else
    ``PINNED_ENGLISH`` (179). Never downloads: offline, ``nltk.download`` only logs and returns False."""
    try:
        return frozenset(_nltk_stopwords.words("english"))
    except LookupError:
        return PINNED_ENGLISH
