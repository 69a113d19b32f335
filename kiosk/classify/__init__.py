"""The person-subtree classifier: an ONNX model over ImageNet's person synsets.

`PersonClassifier(model_dir)` reads `<model_dir>/manifest.json`, verifies the model's sha256,
opens one onnxruntime session (TensorRT, then CUDA, then CPU, whichever really works here) and
turns RGB face crops into probabilities over the manifest's ordered wnids. See models/README.md.
"""

from kiosk.classify.errors import ModelError

__all__ = ["ModelError"]
