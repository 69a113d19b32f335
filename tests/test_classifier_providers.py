"""Provider choice: CUDA/TensorRT only when they would really work, quietly, with a reason."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kiosk.classify import providers
from kiosk.classify.classifier import PersonClassifier

MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "person_effnet"


def test_cpu_is_always_last_and_unknown_names_are_refused() -> None:
    choice = providers.choose_providers(("tensorrt", "cuda", "cpu"))
    assert choice.providers[-1] == "CPUExecutionProvider"
    assert providers.choose_providers(("cpu",)).providers == ("CPUExecutionProvider",)
    assert "not requested" in providers.choose_providers(("cpu",)).reason
    with pytest.raises(ValueError, match="unknown provider"):
        providers.choose_providers(("gpu",))


def test_gpu_providers_are_only_requested_when_they_load() -> None:
    choice = providers.choose_providers(("tensorrt", "cuda", "cpu"))
    for kind in ("cuda", "tensorrt"):
        name = providers.NAMES[kind]
        ok, why = providers.gpu_provider_usable(kind)
        assert (name in choice.providers) == ok
        if not ok:
            assert why and kind in choice.reason


def test_start_is_quiet_and_reports_the_provider(capfd: pytest.CaptureFixture[str]) -> None:
    with PersonClassifier(MODEL_DIR, providers=("tensorrt", "cuda", "cpu")) as clf:
        out, err = capfd.readouterr()
        assert "[E:onnxruntime" not in err and "[W:onnxruntime" not in err, err
        assert "Failed to load library" not in err + out
        assert clf.provider in ("TensorrtExecutionProvider", "CUDAExecutionProvider",
                                "CPUExecutionProvider")
        if clf.provider == "CPUExecutionProvider":
            assert clf.provider_note  # says why the GPU was not used
            print("provider:", clf.provider, "-", clf.provider_note)


def test_gpu_fallback_when_the_session_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """A GPU provider that passes our checks but fails in onnxruntime falls back to CPU."""
    import onnxruntime as ort

    monkeypatch.setattr(providers, "choose_providers", lambda prefs: providers.ProviderChoice(
        ("CUDAExecutionProvider", "CPUExecutionProvider"), ""))
    real = ort.InferenceSession

    def fake(path, so=None, providers=None, **kw):  # noqa: ANN001
        if providers and providers[0][0] == "CUDAExecutionProvider":
            raise RuntimeError("CUDA failure 100: no CUDA-capable device is detected")
        return real(path, so, providers=providers, **kw)

    monkeypatch.setattr(ort, "InferenceSession", fake)
    import kiosk.classify.classifier as classifier_module

    monkeypatch.setattr(classifier_module, "choose_providers", providers.choose_providers)
    with PersonClassifier(MODEL_DIR, providers=("cuda", "cpu"), verify_checksum=False) as clf:
        assert clf.provider == "CPUExecutionProvider"
        assert "no CUDA-capable device" in clf.provider_note


def test_tensorrt_options_have_a_dynamic_batch_profile(tmp_path: Path) -> None:
    opts = providers.provider_options("TensorrtExecutionProvider", cache_dir=tmp_path,
                                      input_name="pixels", input_shape=(3, 260, 260), max_batch=8)
    assert opts["trt_profile_min_shapes"] == "pixels:1x3x260x260"
    assert opts["trt_profile_max_shapes"] == "pixels:8x3x260x260"
    assert opts["trt_engine_cache_path"] == str(tmp_path)
    assert providers.provider_options("CPUExecutionProvider", cache_dir=None, input_name="x",
                                      input_shape=(3, 8, 8), max_batch=1) == {}


def test_a_gpu_session_always_sees_one_batch_shape() -> None:
    """On a GPU, batches of 1..batch_size crops all run as batch_size (zero-padded), since
    onnxruntime's CUDA provider re-plans every convolution when the shape changes; the
    labels are the ones the unpadded batches give. Checked here on the CPU session by turning
    the padding on (the CI has no GPU; docs/speed.md "On a GPU" has the H200 figures)."""
    from skimage import data

    astronaut = data.astronaut()
    crops = [astronaut[60:300, 150:330], astronaut[:256, :256], astronaut[200:, 100:400]]
    with PersonClassifier(MODEL_DIR, providers=("cpu",), batch_size=4) as clf:
        assert not clf.fixed_batch  # the CPU pays per crop: no padding there
        plain = clf.predict_proba(crops)
        clf.fixed_batch = True
        shapes: list[tuple[int, ...]] = []
        session = clf.session
        real_run = session.run

        class Recording:  # the real session, remembering the batch shapes it is given
            def run(self, names, feeds):  # noqa: ANN001, ANN201
                shapes.extend(v.shape for v in feeds.values())
                return real_run(names, feeds)

        clf.session = Recording()
        padded = [clf.predict_proba(crops[:n]) for n in (1, 2, 3)]
        clf.session = session
    assert {s[0] for s in shapes} == {4}
    for n, probs in zip((1, 2, 3), padded, strict=True):
        assert probs.shape == (n, len(clf.wnids))
        np.testing.assert_allclose(probs, plain[:n], rtol=1e-4, atol=1e-6)


def test_the_configured_batch_size_is_the_classifiers() -> None:
    """`classifier.batch_size` sizes the worker's GPU batches, the TensorRT profile and the
    padding alike (before, the classifier kept its own 8 whatever the config said)."""
    from kiosk.classify.loading import load_model_parts
    from kiosk.config import load_config

    config = load_config(None, ["classifier.batch_size=4", 'classifier.providers=["cpu"]'])
    parts = load_model_parts(config)
    try:
        assert parts.classifier.batch_size == 4
    finally:
        parts.close()
