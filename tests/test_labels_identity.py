"""The no_identity vocabulary policy (issue 23): labels that are only a race, ethnicity,
nationality, religion, sexual orientation or sex, found by WordNet's structure."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from kiosk.config import VocabularyConfig
from kiosk.labels.identity import identity_reasons
from kiosk.labels.taxonomy import Taxonomy
from kiosk.labels.vocabulary import Vocabulary

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return Taxonomy.load()


def _wnid(tax: Taxonomy, name: str) -> str:
    return next(s.wnid for s in tax if s.name == name)


@pytest.mark.parametrize("name, why", [
    ("parisian.n.01", "nationality"), ("christian.n.01", "religion"),
    ("female.n.02", "sex"), ("woman.n.01", "sex"), ("lesbian.n.01", "sexual orientation"),
    ("jewess.n.01", "Jew"),  # Jew, and female > woman: no other content
    ("black_woman.n.01", "Black"),  # Black, and adult > woman
    ("soul_brother.n.01", "Black"),  # through Black man, itself only race and sex
    ("frenchman.n.01", "nationality"), ("white.n.01", "white"),
])
def test_identity_only_labels_are_found(tax, name, why):
    assert why in identity_reasons(tax)[_wnid(tax, name)]


@pytest.mark.parametrize("name", [
    "pope.n.01",  # also a spiritual leader
    "monk.n.01",  # a role inside the religious subtree
    "tenant.n.01",  # where one lives, not who one is
    "girl.n.01", "widower.n.01",  # say more than a sex
    "first_offender.n.01", "imam.n.01", "shogun.n.01",
])
def test_labels_that_say_more_are_kept(tax, name):
    assert _wnid(tax, name) not in identity_reasons(tax)


def test_the_policy_filters_them_and_the_offensive_ones(tax):
    model = [w for w in tax.imagenet_wnids() if w != tax.root.wnid]
    vocab = Vocabulary.from_config(VocabularyConfig(policy="no_identity"), tax, model)
    offensive = Vocabulary.from_config(VocabularyConfig(policy="non_offensive"), tax, model)
    identity = identity_reasons(tax)
    filtered = {w for w, keep in zip(model, vocab.allowed_mask, strict=True) if not keep}
    assert filtered == {w for w in model if w in identity or tax[w].offensive}
    assert set(offensive.allowed_wnids) > set(vocab.allowed_wnids)
    for w in filtered - {w for w in model if tax[w].offensive}:
        assert vocab.why_filtered(w) == f"policy no_identity: only {identity[w]}"
    probs = np.full((1, len(model)), 1e-6)
    probs[0, model.index(_wnid(tax, "parisian.n.01"))] = 1.0
    ranked = vocab.top_k(probs, 3)[0]
    assert all(w not in identity for w, _ in ranked)


def test_the_readme_gives_the_rule_and_its_counts(tax):
    text = (ROOT / "wordnet_labels" / "README.md").read_text()
    assert "## Identity rule" in text
    from kiosk.labels.vocabulary import policy_counts

    counts = policy_counts(tax)
    row = re.search(r"\| `no_identity` \|([^|]+)\|([^|]+)\|", text)
    assert row is not None, "wordnet_labels/README.md has no no_identity row"
    assert int(row.group(1).replace(",", "")) == counts["no_identity"]
    assert int(row.group(2).replace(",", "")) == counts["no_identity_imagenet"]
