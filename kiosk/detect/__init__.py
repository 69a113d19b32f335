"""Face detection with MediaPipe Tasks' BlazeFace models, near and distant visitors alike.

One module per pass, put together by `FaceDetector` (detector.py):

- near.py: the short-range model (128x128 input, faces of 20-50% of it) over the whole frame
  downscaled to `max_width`, which finds only near visitors (faces over ~250 px at 1280x720),
  and every other frame over one square tile as tall as the frame, in turn.
- search.py: distant visitors are searched for by the full-range model on squares of a fixed
  size in source pixels (`search_tile_px`, and coarse ones 1.5x wider), two a frame, those
  searched longest ago and where something moved first; while a newcomer waits for its first
  label, no square is searched (`search_yields_to_labels`: the classifier needs that CPU).
- motion.py: what moved since last frame, on a quarter-size thumbnail.
- confirm.py: every new face is looked at again by the short-range model on a square ~3.3
  faces wide around it, and gets a box once confirmed in `confirm_frames` frames running;
  a face of last frame that no pass found again is confirmed around where it was.
- dedupe.py: one box per face where passes, tiles or frames saw it twice.
- pyramid.py: regions cut from a pyramid of exact halvings (cheap), not odd-factor resizes.
- models.py: the MediaPipe detectors, `DetectorError`, boxes read back in frame pixels.

With `search_tile_px: 0` only the old pass runs: tiles of the downscaled frame's height.
"""

from kiosk.detect.detector import FaceDetector
from kiosk.detect.models import DetectorError

__all__ = ["DetectorError", "FaceDetector"]
