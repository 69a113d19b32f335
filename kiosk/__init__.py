"""roulette kiosk: faces boxed and labelled by a model over ImageNet's person subtree.

Frames flow one way: source -> detect -> track -> classify -> render.
"""

import os

# Nothing derived from a visitor leaves the machine, and neither does anything else: onnxruntime
# 1.29+ on Linux writes a device id under ~/.cache and uploads usage events unless told not to.
# pyproject.toml pins a release without it; this opt-out covers an installer who upgrades.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # no banner in the journal
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")  # probing absent cameras is not a warning

__version__ = "0.1.0"
