"""Re-extract the MediaPipe face detection models from the mediapipe==0.10.21 wheel on PyPI.

mediapipe 1.2.x no longer bundles them; the committed copies under models/ came from here,
and this script proves it (and restores them) by checking the recorded sha256 values.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL_SPEC = "mediapipe==0.10.21"
INNER_DIR = "mediapipe/modules/face_detection/"
EXPECTED = {
    "face_detection_short_range.tflite":
        "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
    "face_detection_full_range_sparse.tflite":
        "2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1",
}
MODELS_DIR = Path(__file__).resolve().parents[2] / "models"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=MODELS_DIR)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             "--python-version", "3.11", "--platform", "manylinux_2_28_x86_64",
             "-d", tmp, WHEEL_SPEC], check=True,
        )
        wheel = next(Path(tmp).glob("mediapipe-0.10.21-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            for name, digest in EXPECTED.items():
                data = archive.read(INNER_DIR + name)
                actual = hashlib.sha256(data).hexdigest()
                if actual != digest:
                    print(f"{name}: sha256 {actual} != expected {digest}", file=sys.stderr)
                    return 1
                args.out.mkdir(parents=True, exist_ok=True)
                (args.out / name).write_bytes(data)
                print(f"{args.out / name}: ok ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
