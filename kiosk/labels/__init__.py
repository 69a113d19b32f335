"""WordNet labels: the person taxonomy (taxonomy.py), the vocabulary policy (vocabulary.py), the
translations (translation.py, coverage.py) and the curator command (curator.py). Data:
wordnet_labels/, built by scripts/modelbuild/build_wordnet_labels.py.
"""

from kiosk.labels.taxonomy import LabelsError, Synset, Taxonomy
from kiosk.labels.vocabulary import Vocabulary, VocabularyError, policy_counts

__all__ = ["LabelsError", "Synset", "Taxonomy", "Vocabulary", "VocabularyError", "policy_counts"]
