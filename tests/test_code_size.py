"""No function in kiosk/ over 60 lines and no class over 250 (issue 29): a function that long
does several things that want names of their own. The few that are still longer are listed
here with why, and may not grow; a new one fails."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FUNCTION_LINES = 60
CLASS_LINES = 250

# (file, qualified name): the most lines it may have, and why it is still that long. Empty
# since the renderer's live screen (kiosk/render/live.py), its cards (card_cache.py), the
# placement and the vocabulary's policy steps were split (issue 29).
STILL_LONG: dict[tuple[str, str], int] = {}


def _defs(node: ast.AST, prefix: str = "") -> list[tuple[str, str, int]]:
    """(qualified name, "class" or "function", lines) of every definition under `node`."""
    out = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = f"{prefix}{child.name}"
            kind = "class" if isinstance(child, ast.ClassDef) else "function"
            out.append((name, kind, child.end_lineno - child.lineno + 1))
            out += _defs(child, f"{name}.")
        else:
            out += _defs(child, prefix)
    return out


def _sizes() -> dict[tuple[str, str], tuple[str, int]]:
    found: dict[tuple[str, str], tuple[str, int]] = {}
    for path in sorted((ROOT / "kiosk").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for name, kind, lines in _defs(ast.parse(path.read_text())):
            found[(rel, name)] = (kind, lines)
    return found


def test_functions_and_classes_stay_short() -> None:
    too_long = []
    for key, (kind, lines) in _sizes().items():
        limit = STILL_LONG.get(key, FUNCTION_LINES if kind == "function" else CLASS_LINES)
        if lines > limit:
            too_long.append(f"{key[0]}: {kind} {key[1]} is {lines} lines (at most {limit})")
    assert not too_long, "\n".join(too_long)


def test_the_list_of_long_ones_names_only_what_exists() -> None:
    sizes = _sizes()
    assert [key for key in STILL_LONG if key not in sizes] == []
