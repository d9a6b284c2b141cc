"""Loading, joining and splitting the data: reviews, audio features, sentences, vocabularies, tense pairs."""
