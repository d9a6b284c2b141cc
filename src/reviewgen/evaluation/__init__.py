"""Numbers from models and data (metrics, BLEU, Gaussian score, homotopies, word frequencies); no rendering."""
