"""The one error the classifier raises for an installer's problem with the model files."""

from __future__ import annotations

from pathlib import Path


class ModelError(Exception):
    """A missing, corrupt or inconsistent model: one line that names the file at fault."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        self.problem = " ".join(str(problem).split())  # always one line
        super().__init__(f"{self.path}: {self.problem}")
