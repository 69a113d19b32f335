"""Say whether two ONNX models hold the same graph, and if not, its first difference.

  .venv/bin/python -m scripts.modelbuild.compare_onnx A.onnx B.onnx

Prints `same graph` (exit 0) or `differs: ...` naming the first differing input, output, node
(with its index and name) or initializer, and each file's sha256 (exit 1). Equal graphs may
still differ in bytes (another onnx/protobuf serialises otherwise): scripts/modelbuild/compare.py.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

from scripts.modelbuild.compare import first_difference, load


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("first", type=Path)
    ap.add_argument("second", type=Path)
    args = ap.parse_args(argv)
    for path in (args.first, args.second):
        print(f"{path}: sha256={hashlib.sha256(path.read_bytes()).hexdigest()}")
    found = first_difference(load(args.first), load(args.second))
    print("same graph" if found is None else f"differs: {found}")
    return 0 if found is None else 1


if __name__ == "__main__":
    sys.exit(main())
