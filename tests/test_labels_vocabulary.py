"""Vocabulary policy, allow/deny lists and renormalisation, on the real taxonomy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kiosk.config import VocabularyConfig
from kiosk.labels.taxonomy import Taxonomy
from kiosk.labels.vocabulary import Vocabulary, VocabularyError, policy_counts

OFFENSIVE_IN_IMAGENET = {
    "n09636339", "n09643799", "n10147121", "n10437014", "n10528493", "n10602119", "n10717196",
}


@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return Taxonomy.load()


@pytest.fixture(scope="module")
def model_wnids(tax: Taxonomy) -> list[str]:
    return tax.imagenet_wnids()  # stands in for the model's 2,833 outputs


def _vocab(tax, model_wnids, **kw) -> Vocabulary:
    return Vocabulary.from_config(VocabularyConfig(**kw), tax, model_wnids)


def test_policy_counts(tax: Taxonomy):
    assert policy_counts(tax) == {
        "full": 6979, "full_imagenet": 2833, "non_offensive": 6926, "non_offensive_imagenet": 2826,
        "no_identity": 5997, "no_identity_imagenet": 2457,
    }


def test_full_keeps_everything(tax, model_wnids):
    vocab = _vocab(tax, model_wnids)
    assert vocab.policy == "full" and vocab.allowed_count == len(model_wnids) == 2833
    assert vocab.allowed_mask.dtype == bool and vocab.allowed_mask.all()


def test_non_offensive_renormalises_and_never_returns_filtered(tax, model_wnids):
    vocab = _vocab(tax, model_wnids, policy="non_offensive")
    assert vocab.allowed_count == 2826
    filtered = {w for w, keep in zip(model_wnids, vocab.allowed_mask, strict=True) if not keep}
    assert filtered == OFFENSIVE_IN_IMAGENET

    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.full(len(model_wnids), 0.05), size=16)
    # put most of the mass on filtered classes: they must still never come back
    for w in filtered:
        probs[:, model_wnids.index(w)] += 5.0
    probs /= probs.sum(axis=1, keepdims=True)

    renorm = vocab.renormalise(probs)
    np.testing.assert_allclose(renorm.sum(axis=1), 1.0)
    assert (renorm[:, ~vocab.allowed_mask] == 0).all()
    kept = vocab.allowed_mask
    np.testing.assert_allclose(renorm[:, kept] / renorm[:, kept].sum(1, keepdims=True),
                               probs[:, kept] / probs[:, kept].sum(1, keepdims=True))

    rows = vocab.top_k(probs, 5)
    assert len(rows) == 16
    for r, row in enumerate(rows):
        assert len(row) == 5 and not {w for w, _ in row} & filtered
        scores = [p for _, p in row]
        assert scores == sorted(scores, reverse=True)
        assert scores[0] == pytest.approx(renorm[r, kept].max())

    everything = vocab.top_k(probs[0], 10_000)
    assert len(everything) == 1 and len(everything[0]) == 2826
    assert sum(p for _, p in everything[0]) == pytest.approx(1.0)


def test_all_mass_filtered_gives_uniform(tax, model_wnids):
    vocab = _vocab(tax, model_wnids, policy="non_offensive")
    probs = np.zeros(len(model_wnids))
    probs[model_wnids.index("n09643799")] = 1.0
    [row] = vocab.top_k(probs, 3)
    assert all(p == pytest.approx(1 / 2826) for _, p in row)
    assert "n09643799" not in {w for w, _ in row}
    with pytest.raises(ValueError, match="expected"):
        vocab.top_k(np.ones(5), 1)


def test_allow_and_deny_files(tax, model_wnids, tmp_path: Path):
    allow = tmp_path / "allow.txt"
    allow.write_text(
        "# curated\n\nn10093167   # first offender\nn10144338\nfirst_offender.n.01\n"
        "n09643799\nN09633969\n"
    )
    deny = tmp_path / "deny.txt"
    deny.write_text("n09633969  # wrongdoer\n")
    vocab = Vocabulary.from_config(
        VocabularyConfig(policy="non_offensive", allow_file=Path("allow.txt"),
                         deny_file=Path("deny.txt")),
        tax, model_wnids, resolve=lambda p: tmp_path / p,
    )
    assert set(vocab.allowed_wnids) == {"n10093167", "n10144338"}
    assert vocab.why_filtered("n09643799").startswith("policy non_offensive")
    assert vocab.why_filtered("n09633969") == f"deny_file {deny}:1"
    assert vocab.why_filtered("n00007846") == f"not in allow_file {allow}"
    probs = np.full(len(model_wnids), 1.0 / len(model_wnids))
    probs[model_wnids.index("n09633969")] = 0.5
    [row] = vocab.top_k(probs, 5)
    assert [w for w, _ in row] == ["n10093167", "n10144338"]
    assert [p for _, p in row] == pytest.approx([0.5, 0.5])


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ("n10093167\n# ok\nn99999999\n", 3, "unknown wnid n99999999: not a WordNet 3.0 noun"),
        ("n10093167\nn02084071\n", 2, r"n02084071 \(dog.n.01\) is outside the person subtree"),
        ("dog.n.01\n", 1, r"n02084071 \(dog.n.01\) is outside the person subtree"),
        ("\nfrobnicator.n.01\n", 2, "frobnicator.n.01 is not a WordNet 3.0 noun synset"),
        ("n10093167 first offender\n", 1, ".* one wnid per line"),
        ("man\n", 1, "'man' is not a wnid .* as a lemma it names 7"),
    ],
)
def test_list_file_errors_name_file_and_line(tax, model_wnids, tmp_path, content, line, message):
    for key in ("allow_file", "deny_file"):
        path = tmp_path / f"{key}.txt"
        path.write_text(content)
        with pytest.raises(VocabularyError, match=f"^{path}:{line}: {message}"):
            _vocab(tax, model_wnids, **{key: path})


def test_missing_list_file(tax, model_wnids, tmp_path):
    with pytest.raises(VocabularyError, match=f"{tmp_path / 'nope.txt'}: deny file not found"):
        _vocab(tax, model_wnids, deny_file=tmp_path / "nope.txt")


def test_empty_vocabulary_errors(tax, model_wnids, tmp_path):
    allow = tmp_path / "allow.txt"
    allow.write_text("# only comments\n\n")
    with pytest.raises(VocabularyError, match=f"^{allow}:2: the allow list names no synset"):
        _vocab(tax, model_wnids, allow_file=allow)

    allow.write_text("# slurs only\nn09643799\nn10147121\n")
    with pytest.raises(VocabularyError, match=f"^{allow}:2-3: none of the 2 synsets"):
        _vocab(tax, model_wnids, policy="non_offensive", allow_file=allow)

    allow.write_text("n10093167\nn10144338\n")
    deny = tmp_path / "deny.txt"
    deny.write_text("n10144338\n\n# and\nn10093167\n")
    with pytest.raises(VocabularyError, match=f"^{deny}:4: denying n10093167 .* leaves the "):
        _vocab(tax, model_wnids, allow_file=allow, deny_file=deny)


def test_model_wnids_must_be_in_taxonomy(tax):
    with pytest.raises(VocabularyError, match="person_synsets.json: 1 model output class"):
        Vocabulary.from_config(VocabularyConfig(), tax, ["n10093167", "n02084071"])
