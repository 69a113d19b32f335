"""Building the models and the labels they name: the person model and its heads, the prior,
the WordNet labels and their translations, the face detector's files."""
