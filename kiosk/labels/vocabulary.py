"""Which of the model's labels may be shown: the policy, then the installer's allow and deny lists.

Filters compose: a label is shown when the policy keeps it, the allow list (if any) names it and
the deny list (if any) does not. Filtering zeroes the filtered classes and renormalises over what
remains, so the probabilities shown are over the shown vocabulary; a filtered wnid is never
returned. Every problem is found at start and raised as a VocabularyError naming file and line.

List files: one wnid per line (`n10093167`, or a synset name such as `first_offender.n.01`);
`#` starts a comment; blank lines are ignored. Every entry must be in the person subtree.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kiosk.labels.identity import identity_reasons
from kiosk.labels.taxonomy import (
    LabelsError,
    Synset,
    Taxonomy,
    load_noun_names,
    parse_wnid,
)

if TYPE_CHECKING:
    from kiosk.config import VocabularyConfig

POLICIES = ("full", "non_offensive", "no_identity")
POLICY_TEXT = {
    "full": "every label the model outputs (the 2019 vocabulary)",
    "non_offensive": "drops synsets WordNet marks as derogatory or offensive",
    "no_identity": "non_offensive, and drops labels whose only content is a race, ethnicity, "
    "nationality, religion, sexual orientation or sex (kiosk/labels/identity.py)",
}
_SYNSET_NAME = re.compile(r"^\S+\.n\.\d{2}$", re.IGNORECASE)


class VocabularyError(Exception):
    """A vocabulary problem found at start; list-file problems name `file:line`."""


def policy_filters(synset: Synset, policy: str, taxonomy: Taxonomy) -> str | None:
    """Why `policy` leaves the synset out (None: it keeps it)."""
    if policy == "full":
        return None
    if policy not in POLICIES:
        raise VocabularyError(
            f"unknown vocabulary policy {policy!r} (one of {', '.join(POLICIES)})")
    if synset.offensive:
        return "; ".join(synset.offensive_reasons) or "offensive"
    if policy == "no_identity":
        why = identity_reasons(taxonomy).get(synset.wnid)
        return None if why is None else f"only {why}"
    return None


def policy_keeps(synset: Synset, policy: str, taxonomy: Taxonomy) -> bool:
    return policy_filters(synset, policy, taxonomy) is None


def policy_counts(taxonomy: Taxonomy) -> dict[str, int]:
    """How many synsets each policy keeps, of the whole subtree and of ImageNet fall 2011."""
    counts: dict[str, int] = {}
    for policy in POLICIES:
        kept = [s for s in taxonomy if policy_keeps(s, policy, taxonomy)]
        counts[policy] = len(kept)
        counts[f"{policy}_imagenet"] = sum(s.in_imagenet for s in kept)
    return counts


@dataclass(frozen=True)
class ListEntry:
    """One synset named by an allow or deny file."""

    wnid: str
    path: Path
    line: int

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def read_list_file(path: Path, taxonomy: Taxonomy, role: str = "list") -> list[ListEntry]:
    """Parse an allow/deny file; VocabularyError names `file:line` for any bad entry."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise VocabularyError(f"{path}: {role} file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise VocabularyError(f"{path}: {role} file unreadable: {exc}") from exc
    entries: list[ListEntry] = []
    nouns: dict[str, str] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        token = raw.split("#", 1)[0].strip()
        if not token:
            continue
        where = f"{path}:{number}"
        if len(token.split()) > 1:
            raise VocabularyError(
                f"{where}: {token!r}: one wnid per line (put names after a '#')"
            )
        wnid = parse_wnid(token)
        if wnid is None and _SYNSET_NAME.match(token):
            hits = [s for s in taxonomy.find(token) if s.name.lower() == token.lower()]
            if hits:
                wnid = hits[0].wnid
            else:
                nouns = nouns if nouns is not None else _noun_names(taxonomy)
                by_name = {name.lower(): w for w, name in nouns.items()}
                if token.lower() not in by_name:
                    raise VocabularyError(f"{where}: {token} is not a WordNet 3.0 noun synset")
                wnid = by_name[token.lower()]
        if wnid is None:
            hint = ""
            senses = taxonomy.find(token)
            if senses:
                listed = ", ".join(f"{s.wnid} {s.name}" for s in senses[:4])
                hint = f"; as a lemma it names {len(senses)} synset(s): {listed}"
            raise VocabularyError(
                f"{where}: {token!r} is not a wnid (n + 8 digits) or a synset name "
                f"(lemma.n.NN){hint}"
            )
        if wnid not in taxonomy:
            nouns = nouns if nouns is not None else _noun_names(taxonomy)
            if wnid not in nouns:
                raise VocabularyError(
                    f"{where}: unknown wnid {wnid}: not a WordNet 3.0 noun synset"
                )
            raise VocabularyError(
                f"{where}: {wnid} ({nouns[wnid]}) is outside the person subtree "
                f"({taxonomy.root.wnid} {taxonomy.root.name}): the model never outputs it"
            )
        entries.append(ListEntry(wnid, path, number))
    return entries


def _noun_names(taxonomy: Taxonomy) -> dict[str, str]:
    try:
        return load_noun_names(taxonomy.labels_dir)
    except LabelsError as exc:
        raise VocabularyError(str(exc)) from exc


class Vocabulary:
    """The labels this installation may show, as a mask over the model's output classes."""

    def __init__(
        self,
        model_wnids: Sequence[str],
        allowed_mask: np.ndarray,
        policy: str,
        filtered_why: dict[str, str] | None = None,
        allow_file: Path | None = None,
        deny_file: Path | None = None,
    ):
        self.model_wnids: tuple[str, ...] = tuple(model_wnids)
        self.allowed_mask: np.ndarray = np.asarray(allowed_mask, dtype=bool).copy()
        self.allowed_mask.setflags(write=False)
        if self.allowed_mask.shape != (len(self.model_wnids),):
            raise ValueError("allowed_mask must have one entry per model wnid")
        self.policy = policy
        self.allow_file = allow_file
        self.deny_file = deny_file
        self.filtered_why = dict(filtered_why or {})
        self._allowed_idx = np.flatnonzero(self.allowed_mask)
        self._index = {w: i for i, w in enumerate(self.model_wnids)}

    @classmethod
    def from_config(
        cls,
        cfg: VocabularyConfig,
        taxonomy: Taxonomy,
        model_wnids: Sequence[str],
        resolve: Callable[[Path], Path] = lambda p: p,
    ) -> Vocabulary:
        """Apply policy, allow_file and deny_file to the model's classes; raise on any problem."""
        model_wnids = tuple(model_wnids)
        _check_model_classes(model_wnids, taxonomy)
        if cfg.policy not in POLICIES:
            raise VocabularyError(
                f"unknown vocabulary policy {cfg.policy!r} (one of {', '.join(POLICIES)})"
            )
        why: dict[str, str] = {}
        mask = np.ones(len(model_wnids), dtype=bool)
        _apply_policy(model_wnids, taxonomy, cfg.policy, mask, why)
        allow_path = resolve(Path(cfg.allow_file)) if cfg.allow_file else None
        deny_path = resolve(Path(cfg.deny_file)) if cfg.deny_file else None
        if allow_path is not None:
            _apply_allow_file(allow_path, model_wnids, taxonomy, cfg.policy, mask, why)
        if deny_path is not None:
            _apply_deny_file(deny_path, model_wnids, taxonomy, mask, why)
        return cls(model_wnids, mask, cfg.policy, why, allow_path, deny_path)

    # --- what is kept --------------------------------------------------------------------------

    @property
    def allowed_count(self) -> int:
        return int(self._allowed_idx.size)

    @property
    def allowed_wnids(self) -> tuple[str, ...]:
        return tuple(self.model_wnids[i] for i in self._allowed_idx)

    def is_allowed(self, wnid: str) -> bool:
        i = self._index.get(wnid)
        return i is not None and bool(self.allowed_mask[i])

    def why_filtered(self, wnid: str) -> str | None:
        """Why a model class is not shown (None if it is shown or not a model class)."""
        return self.filtered_why.get(wnid)

    def counts(self, taxonomy: Taxonomy) -> dict[str, int]:
        """policy_counts() plus this installation's model classes and shown classes."""
        return {
            **policy_counts(taxonomy),
            "model_classes": len(self.model_wnids),
            "shown": self.allowed_count,
        }

    # --- probabilities -------------------------------------------------------------------------

    def renormalise(self, probs: np.ndarray) -> np.ndarray:
        """Filtered classes zeroed, the rest rescaled to sum to 1 (same shape as `probs`).

        A row with no mass left on the shown classes becomes uniform over them.
        """
        p = np.asarray(probs, dtype=np.float64)
        if p.ndim not in (1, 2) or p.shape[-1] != len(self.model_wnids):
            raise ValueError(
                f"probabilities of shape {p.shape}; expected (C,) or (N, C) with "
                f"C = {len(self.model_wnids)} model classes"
            )
        p = np.where(self.allowed_mask & np.isfinite(p), np.clip(p, 0.0, None), 0.0)
        total = p.sum(axis=-1, keepdims=True)
        uniform = self.allowed_mask / self.allowed_count
        return np.where(total > 0, p / np.where(total > 0, total, 1.0), uniform)

    def top_k(self, probs: np.ndarray, k: int) -> list[list[tuple[str, float]]]:
        """Best k shown labels per row as (wnid, probability over the shown vocabulary).

        `probs` is (C,) or (N, C) over `model_wnids`; the answer has one list per row (one
        row for a (C,) input). Ties keep model order. k is capped at `allowed_count`.
        """
        if k < 1:
            raise ValueError("k must be at least 1")
        renorm = self.renormalise(probs)
        rows = renorm[None, :] if renorm.ndim == 1 else renorm
        k = min(k, self.allowed_count)
        kept = rows[:, self._allowed_idx]
        order = np.argsort(-kept, axis=1, kind="stable")[:, :k]
        out: list[list[tuple[str, float]]] = []
        for r, row_order in enumerate(order):
            out.append(
                [
                    (self.model_wnids[self._allowed_idx[j]], float(kept[r, j]))
                    for j in row_order
                ]
            )
        return out


# --- the policy's steps (Vocabulary.from_config), each narrowing `mask` and saying why --------


def _check_model_classes(model_wnids: tuple[str, ...], taxonomy: Taxonomy) -> None:
    """The model's classes: some, each once, each in the person taxonomy."""
    if not model_wnids:
        raise VocabularyError("the model has no output classes")
    seen: set[str] = set()
    for w in model_wnids:
        if w in seen:
            raise VocabularyError(f"model output classes list {w} twice")
        seen.add(w)
    unknown = [w for w in model_wnids if w not in taxonomy]
    if unknown:
        shown = ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else "")
        raise VocabularyError(
            f"{taxonomy.source}: {len(unknown)} model output class(es) not in the person "
            f"taxonomy: {shown}"
        )


def _apply_policy(
    model_wnids: tuple[str, ...], taxonomy: Taxonomy, policy: str,
    mask: np.ndarray, why: dict[str, str],
) -> None:
    for i, w in enumerate(model_wnids):
        reason = policy_filters(taxonomy[w], policy, taxonomy)
        if reason is not None:
            mask[i] = False
            why[w] = f"policy {policy}: {reason}"
    if not mask.any():
        raise VocabularyError(
            f"vocabulary.policy {policy} filters all {len(model_wnids)} model classes: "
            "nothing left to show"
        )


def _apply_allow_file(
    allow_path: Path, model_wnids: tuple[str, ...], taxonomy: Taxonomy, policy: str,
    mask: np.ndarray, why: dict[str, str],
) -> None:
    entries = read_list_file(allow_path, taxonomy, "allow")
    if not entries:
        lines = len(allow_path.read_text(encoding="utf-8").splitlines())
        raise VocabularyError(
            f"{allow_path}:{max(lines, 1)}: the allow list names no synset, so the "
            "vocabulary would be empty"
        )
    allowed = {e.wnid for e in entries}
    for i, w in enumerate(model_wnids):
        if mask[i] and w not in allowed:
            mask[i] = False
            why[w] = f"not in allow_file {allow_path}"
    if not mask.any():
        raise VocabularyError(
            f"{allow_path}:{entries[0].line}-{entries[-1].line}: none of the "
            f"{len(allowed)} synsets listed is a model class kept by policy "
            f"{policy}: the vocabulary would be empty"
        )


def _apply_deny_file(
    deny_path: Path, model_wnids: tuple[str, ...], taxonomy: Taxonomy,
    mask: np.ndarray, why: dict[str, str],
) -> None:
    index = {w: i for i, w in enumerate(model_wnids)}
    for entry in read_list_file(deny_path, taxonomy, "deny"):
        i = index.get(entry.wnid)
        if i is None or not mask[i]:
            continue
        mask[i] = False
        why[entry.wnid] = f"deny_file {entry.where}"
        if not mask.any():
            raise VocabularyError(
                f"{entry.where}: denying {entry.wnid} ({taxonomy[entry.wnid].name}) "
                "leaves the vocabulary empty"
            )
