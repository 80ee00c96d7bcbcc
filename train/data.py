"""Reading and validating the JSONL corpus. Every problem is reported as file:line."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from event_classifier.labels import LABELS

REQUIRED_KEYS = ("id", "text", "labels")
OPTIONAL_KEYS = ("context", "doc", "needs_context", "alone_labels")
MAX_REPORTED = 25


class DataError(ValueError):
    """One or more lines of a data file are invalid; the message lists them as file:line."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:MAX_REPORTED]
        more = f"\n  ... and {len(problems) - MAX_REPORTED} more" if len(problems) > MAX_REPORTED else ""
        super().__init__("invalid data:\n  " + "\n  ".join(shown) + more)


@dataclass(frozen=True)
class Example:
    id: str
    text: str
    labels: tuple[str, ...]
    context: str | None = None
    source: str = ""
    """file:line, for messages."""
    doc: str | None = None
    """Article id for sentences written as part of an article; None for stand-alone sentences."""
    needs_context: bool = False
    """The annotator's mark: labels in the article differ from the sentence read alone."""
    alone_labels: tuple[str, ...] | None = None
    """Article sentences: the labels the sentence gets read on its own (None: not annotated)."""

    def labels_alone(self) -> tuple[str, ...] | None:
        """Labels for reading this sentence with no context, or None when unknown (an article
        sentence marked needs_context without alone_labels)."""
        if self.alone_labels is not None:
            return self.alone_labels
        return None if self.needs_context else self.labels


def _check_record(obj: Any, where: str, labels: Sequence[str] = LABELS) -> list[str]:
    if not isinstance(obj, dict):
        return [f"{where}: expected a JSON object, got {type(obj).__name__}"]
    problems = []
    for key in REQUIRED_KEYS:
        if key not in obj:
            problems.append(f"{where}: missing key '{key}'")
    unknown = set(obj) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS)
    if unknown:
        problems.append(f"{where}: unknown key(s) {sorted(unknown)}")
    if "id" in obj and (not isinstance(obj["id"], str) or not obj["id"].strip()):
        problems.append(f"{where}: 'id' must be a non-empty string")
    if "text" in obj and (not isinstance(obj["text"], str) or not obj["text"].strip()):
        problems.append(f"{where}: 'text' must be a non-empty string")
    if "context" in obj and obj["context"] is not None and not isinstance(obj["context"], str):
        problems.append(f"{where}: 'context' must be a string or null")
    if "doc" in obj and obj["doc"] is not None and (not isinstance(obj["doc"], str) or not obj["doc"].strip()):
        problems.append(f"{where}: 'doc' must be a non-empty string or null")
    if "needs_context" in obj and not isinstance(obj["needs_context"], bool):
        problems.append(f"{where}: 'needs_context' must be true or false")
    alone = obj.get("alone_labels")
    if alone is not None:
        if not isinstance(alone, list) or not all(isinstance(x, str) for x in alone) or set(alone) - set(labels):
            problems.append(f"{where}: 'alone_labels' must be a list of labels from {list(labels)}")
        elif isinstance(obj.get("labels"), list) and "needs_context" in obj and obj["needs_context"] != (set(alone) != set(obj["labels"])):
            problems.append(f"{where}: 'needs_context' must be true exactly when 'alone_labels' differ from 'labels'")
    gold = obj.get("labels")
    if "labels" in obj:
        if not isinstance(gold, list) or not all(isinstance(x, str) for x in gold):
            problems.append(f"{where}: 'labels' must be a list of strings")
        else:
            bad = [x for x in gold if x not in labels]
            if bad:
                problems.append(f"{where}: unknown label(s) {bad}; allowed: {list(labels)} (the labels file)")
            if len(set(gold)) != len(gold):
                problems.append(f"{where}: repeated label in {gold}")
    return problems


def read_text(path: Path) -> str:
    """A data file's text (UTF-8, BOM allowed); DataError when it is missing or not UTF-8."""
    if not path.is_file():
        raise DataError([f"{path}: file not found"])
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError([f"{path}: not UTF-8 ({exc})"]) from None


def json_lines(path: Path, problems: list[str]):
    """Yield (lineno, "file:line", parsed object) for each non-blank line; a malformed line is added
    to ``problems`` and skipped, so callers report every bad line at once."""
    for lineno, line in enumerate(read_text(path).split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            yield lineno, where, json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: malformed JSON ({exc.msg.removesuffix(' at')} at column {exc.colno})")


def read_jsonl(path: str | Path, labels: Sequence[str] = LABELS) -> list[Example]:
    """Read one split, checking every label against ``labels`` (the label set's names). Accepts a
    UTF-8 BOM and CRLF line ends; blank lines are skipped.

    Raises DataError listing every bad line (file:line: problem), so nothing is dropped silently.
    """
    path = Path(path)
    examples: list[Example] = []
    problems: list[str] = []
    seen_ids: dict[str, int] = {}
    for lineno, where, obj in json_lines(path, problems):
        found = _check_record(obj, where, labels)
        if found:
            problems.extend(found)
            continue
        if obj["id"] in seen_ids:
            problems.append(f"{where}: duplicate id '{obj['id']}' (first at line {seen_ids[obj['id']]})")
            continue
        seen_ids[obj["id"]] = lineno
        examples.append(
            Example(obj["id"], obj["text"], tuple(obj["labels"]), obj.get("context"), where, obj.get("doc"),
                    obj.get("needs_context", False),
                    tuple(obj["alone_labels"]) if obj.get("alone_labels") is not None else None)
        )
    if problems:
        raise DataError(problems)
    if not examples:
        raise DataError([f"{path}: no examples"])
    return examples


def add_random_context(examples: list[Example], fraction: float, seed: int) -> list[Example]:
    """Give `fraction` of the stand-alone sentences another stand-alone sentence as context.

    Their labels stay the same: those sentences were written to be read alone. Without this, a
    context-mode model learns to copy labels from the previous sentence onto sentences that report
    nothing ("Rain fell." after a pullout)."""
    import random

    rng = random.Random(seed)
    alone = [i for i, e in enumerate(examples) if not e.doc and not e.context]
    if len(alone) < 2 or fraction <= 0:
        return list(examples)
    chosen = set(rng.sample(alone, round(fraction * len(alone))))
    out = []
    for i, e in enumerate(examples):
        if i in chosen:
            j = i
            while j == i:
                j = alone[rng.randrange(len(alone))]
            e = dataclasses.replace(e, context=examples[j].text)
        out.append(e)
    return out


def read_soft_labels(path: str | Path, n_labels: int = len(LABELS)) -> dict[str, list[float]]:
    """Teacher scores stored as data (`make teacher`): {"id": ..., "scores": [one per label]} lines."""
    path = Path(path)
    if not path.is_file():
        raise DataError([f"{path}: teacher soft labels not found (run `make teacher`, or remove 'teacher_labels' from the config)"])
    out: dict[str, list[float]] = {}
    problems = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            scores = [float(x) for x in obj["scores"]]
            assert len(scores) == n_labels and all(0.0 <= x <= 1.0 for x in scores)
            out[str(obj["id"])] = scores
        except (ValueError, KeyError, TypeError, AssertionError):
            problems.append(f"{path}:{lineno}: expected {{\"id\": str, \"scores\": [{n_labels} numbers in 0..1]}}")
    if problems:
        raise DataError(problems)
    return out


def to_dataset(examples: list[Example], soft: dict[str, list[float]] | None = None, alpha: float = 0.0,
               labels: Sequence[str] = LABELS):  # -> datasets.Dataset
    """A `datasets.Dataset` with text, context and a float `labels` column: multi-hot gold, or with
    ``soft`` the mix (1 - alpha) * gold + alpha * teacher score for rows the teacher scored."""
    import datasets

    def target(e: Example) -> list[float]:
        gold = [1.0 if lab in e.labels else 0.0 for lab in labels]
        if soft is None or e.id not in soft:
            return gold
        return [(1 - alpha) * g + alpha * t for g, t in zip(gold, soft[e.id])]

    return datasets.Dataset.from_dict(
        {
            "id": [e.id for e in examples],
            "text": [e.text for e in examples],
            "context": [e.context or "" for e in examples],
            "labels": [target(e) for e in examples],
        }
    )


def alone_reading(examples: list[Example]) -> list[Example]:
    """The rows as a model that reads sentences alone should learn them: alone labels, no context.
    Article sentences whose alone labels were never annotated are left out rather than guessed."""
    out = []
    for e in examples:
        alone = e.labels_alone()
        if alone is not None:
            out.append(dataclasses.replace(e, labels=alone, context=None))
    return out


def with_alone_copies(examples: list[Example]) -> list[Example]:
    """``examples`` plus an alone-read copy (no context, alone labels, id + "~alone") of each sentence
    that has a context and known alone labels."""
    extra = [dataclasses.replace(e, id=f"{e.id}~alone", labels=alone, context=None)
             for e in examples if e.context and (alone := e.labels_alone()) is not None]
    return list(examples) + extra


def multi_hot(examples: list[Example], labels: Sequence[str] = LABELS):  # -> np.ndarray
    import numpy as np

    return np.array([[lab in e.labels for lab in labels] for e in examples], dtype=np.int64).reshape(len(examples), len(labels))


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)


def normalise(text: str) -> str:
    """Lowercase, drop punctuation, collapse whitespace: the key for exact-duplicate checks."""
    return " ".join(_PUNCT.sub(" ", text.lower()).split())
