"""The shipped person model on real photos that ship in packages (scikit-image, matplotlib).

The default model is an ImageNet-1k EfficientNet-Lite2 with a zero-shot dense ConSE head,
standardised against a prior over face crops, over the 2,832 ImageNet fall 2011 person synsets
(models/README.md): its labels follow what an ImageNet
model sees (clothing, objects, setting), so the assertions check plausibility at the level of
WordNet branches, not exact synsets.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.classify.classifier import PersonClassifier
from kiosk.labels.taxonomy import Taxonomy
from kiosk.views import Box

MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "person_effnet"
ASTRONAUT_FACE = (177, 82, 272, 177)  # as MediaPipe finds it (tests/conftest.py)
ATHLETE = "n09820263"  # athlete, jock (under contestant)
ASTRONAUT = "n09818022"
TRAVELER = "n09629752"  # traveler, traveller


@pytest.fixture(scope="module")
def clf():
    with PersonClassifier(MODEL_DIR, providers=("cpu",)) as c:
        yield c


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return Taxonomy.load()


@pytest.fixture(scope="module")
def photos() -> dict[str, np.ndarray]:
    from skimage import data

    astronaut = data.astronaut()
    out = {
        "astronaut": astronaut,
        "astronaut_face": Box(*ASTRONAUT_FACE).padded(0.6, 512, 512).crop(astronaut).copy(),
        "coffee": data.coffee(),
        "chelsea": data.chelsea(),
        "camera": np.stack([data.camera()] * 3, axis=-1),
    }
    import matplotlib

    hopper = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    if hopper.exists():
        out["hopper"] = cv2.cvtColor(cv2.imread(str(hopper)), cv2.COLOR_BGR2RGB)
    return out


def _under(taxonomy: Taxonomy, wnid: str, ancestor: str) -> bool:
    return any(ancestor in path for path in taxonomy[wnid].paths)


def _show(taxonomy: Taxonomy, ranked) -> str:
    return ", ".join(f"{taxonomy[w].lemmas[0]} {p:.2f}" for w, p in ranked)


def test_wnids_are_the_imagenet_person_synsets(clf, taxonomy: Taxonomy) -> None:
    imagenet = set(taxonomy.imagenet_wnids()) - {taxonomy.root.wnid}
    assert len(clf.wnids) == 2832
    assert set(clf.wnids) == imagenet
    assert list(clf.wnids) == sorted(clf.wnids)
    for wnid in clf.wnids:  # every output lies inside the person subtree
        assert all(path[0] == taxonomy.root.wnid for path in taxonomy[wnid].paths), wnid


def test_astronaut_gets_a_plausible_person_label(clf, taxonomy, photos) -> None:
    full, face = clf.top_k([photos["astronaut"], photos["astronaut_face"]], 5)
    print("astronaut:", _show(taxonomy, full))
    print("astronaut face:", _show(taxonomy, face))
    # a person in a suit and helmet: among the model's top 5, a traveller (passenger, runner,
    # mover), a sportsman or an astronaut. The face prior spreads whole scenes over more labels
    # than before; since the 4-view head (issue 8) the scene's top 5 are all travellers but
    # "active" (pusher, passenger, mover, squatter), no longer a runner.
    assert any(w == ASTRONAUT or _under(taxonomy, w, ATHLETE) or _under(taxonomy, w, TRAVELER)
               for w, _ in full), _show(taxonomy, full)
    assert all(w in clf.wnids for w, _ in face)


def test_faces_of_different_people_get_different_labels(clf, taxonomy, photos) -> None:
    # The head's prior is measured on FACE crops, so whole scenes without a face lost the
    # object-driven labels they had (the cat is no longer a "cat fancier": models/README.md);
    # what it must do is tell faces apart instead of calling everybody "hornist".
    if "hopper" not in photos:
        pytest.skip("matplotlib sample data not installed")
    hopper_face = Box(190, 80, 370, 290).padded(0.6, *photos["hopper"].shape[1::-1])
    ranked = clf.top_k([photos["astronaut_face"], hopper_face.crop(photos["hopper"]).copy()], 5)
    print("faces:", [_show(taxonomy, r) for r in ranked])
    assert ranked[0][0][0] != ranked[1][0][0]


def test_different_photos_get_different_labels(clf, photos) -> None:
    names = [k for k in ("astronaut", "coffee", "chelsea", "camera", "hopper") if k in photos]
    tops = [ranked[0][0] for ranked in clf.top_k([photos[k] for k in names], 1)]
    assert len(set(tops)) == len(tops), dict(zip(names, tops, strict=True))


def test_the_same_crop_always_gets_the_same_label(clf, photos) -> None:
    face = photos["astronaut_face"]
    first = clf.predict_proba([face])
    again = clf.predict_proba([face.copy()])
    np.testing.assert_array_equal(first, again)
    # inside a batch of 8 (mixed crops) it gets the same answer as alone
    batch = [photos["coffee"], face, photos["chelsea"]] + [photos["astronaut"]] * 5
    many = clf.predict_proba(batch)
    np.testing.assert_allclose(many[1], first[0], rtol=0, atol=1e-5)
    assert int(np.argmax(many[1])) == int(np.argmax(first[0]))


def test_probabilities_are_distributions(clf, photos) -> None:
    probs = clf.predict_proba(list(photos.values()) * 2)  # 2+ batches of 8
    assert probs.shape == (2 * len(photos), len(clf.wnids)) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert (probs >= 0).all()
    assert clf.predict_proba([]).shape == (0, len(clf.wnids))


def test_degenerate_crops(clf) -> None:
    tiny = np.full((1, 1, 3), 128, np.uint8)
    thin = np.zeros((1, 300, 3), np.uint8)
    grey = np.zeros((40, 30), np.uint8)
    probs = clf.predict_proba([tiny, thin, grey])
    assert probs.shape == (3, len(clf.wnids))
    with pytest.raises(ValueError, match="crop 1: empty"):
        clf.predict_proba([tiny, np.zeros((0, 5, 3), np.uint8)])
    with pytest.raises(ValueError, match="uint8"):
        clf.predict_proba([np.zeros((8, 8, 3), np.float32)])
    with pytest.raises(ValueError, match="HxWx3"):
        clf.predict_proba([np.zeros((8, 8, 5), np.uint8)])


def test_preprocessing_matches_the_manifest(clf, photos) -> None:
    m = clf.manifest
    x = clf.preprocess([photos["chelsea"]])
    assert x.shape == (1, 3, *m.input_size) and x.dtype == np.float32
    # short side to the input size (176), centre cut, (pixel - 127) / 128, RGB planes
    h, w = photos["chelsea"].shape[:2]
    s = m.input_size[0] / min(h, w)
    r = cv2.resize(photos["chelsea"], (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    x0 = (r.shape[1] - m.input_size[1]) // 2
    ref = (r[:, x0:x0 + m.input_size[1]].astype(np.float32) - 127.0) / 128.0
    np.testing.assert_allclose(x[0], ref.transpose(2, 0, 1), atol=1e-6)


def test_one_session_classifies_crops_from_two_threads_at_once(clf, photos) -> None:
    """The kiosk's two CPU workers share one onnxruntime session: runs that overlap give
    exactly what runs one after the other give."""
    from concurrent.futures import ThreadPoolExecutor

    crops = [photos["astronaut"][60:300, 150:330], photos["astronaut"][:256, :256]] * 4
    alone = [clf.predict_proba([c])[0] for c in crops]
    with ThreadPoolExecutor(2) as pool:
        together = list(pool.map(lambda c: clf.predict_proba([c])[0], crops))
    for a, b in zip(alone, together, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
