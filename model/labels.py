"""Label sets: names (in the order of the classifier head's outputs), one-line definitions, and
the word stems the keyword baseline uses.

A label set is declared in a labels file (YAML; data/labels.yaml for the shipped model, named by
the training config's ``labels_file``), recorded in every checkpoint's metadata, and read back from
there by `load()`. ``LABELS`` and ``DEFINITIONS`` below are the shipped checkpoint's, kept for
compatibility; code that handles any checkpoint uses ``classifier.labels`` instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class LabelSetError(ValueError):
    """A labels file or a checkpoint's label metadata is malformed; the message names the file."""


@dataclass(frozen=True)
class LabelSet:
    names: tuple[str, ...]
    definitions: Mapping[str, str] = field(default_factory=dict)
    stems: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check(self.names, self.definitions, self.stems, "label set")

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def to_metadata(self) -> dict[str, Any]:
        return {"labels": list(self.names), "label_definitions": dict(self.definitions), "label_stems": dict(self.stems)}

    @classmethod
    def from_metadata(cls, meta: Mapping[str, Any], where: str = "metadata") -> LabelSet:
        names = meta.get("labels")
        if not isinstance(names, list) or not names:
            raise LabelSetError(f"{where}: 'labels' must be a non-empty list of label names")
        try:
            return cls(tuple(names), dict(meta.get("label_definitions") or {}), dict(meta.get("label_stems") or {}))
        except LabelSetError as exc:
            raise LabelSetError(f"{where}: {exc}") from None

    @classmethod
    def from_file(cls, path: str | Path) -> LabelSet:
        """Read a labels file: a YAML mapping of name -> {definition, stem}, in head order."""
        import yaml

        path = Path(path)
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise LabelSetError(f"{path}: cannot read labels file ({exc.strerror or exc})") from None
        except yaml.YAMLError as exc:
            raise LabelSetError(f"{path}: not valid YAML ({exc})") from None
        if not isinstance(doc, dict) or not doc:
            raise LabelSetError(f"{path}: expected a mapping of label name -> {{definition, stem}}")
        definitions, stems = {}, {}
        for name, entry in doc.items():
            if not isinstance(entry, dict):
                raise LabelSetError(f"{path}: label {name!r} needs 'definition' and 'stem' keys")
            unknown = set(entry) - {"definition", "stem"}
            if unknown:
                raise LabelSetError(f"{path}: label {name!r} has unknown key(s) {sorted(unknown)}; allowed: definition, stem")
            definitions[name] = entry.get("definition")
            stems[name] = entry.get("stem")
        try:
            return cls(tuple(doc), definitions, stems)
        except LabelSetError as exc:
            raise LabelSetError(f"{path}: {exc}") from None


def _check(names: tuple[Any, ...], definitions: Mapping[str, Any], stems: Mapping[str, Any], where: str) -> None:
    if not names:
        raise LabelSetError("a label set needs at least one label")
    for n in names:
        if not isinstance(n, str) or not _NAME.match(n):
            raise LabelSetError(f"label name {n!r} must be lower case letters, digits or _ and start with a letter")
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise LabelSetError(f"repeated label name(s) {dup}")
    for kind, values in (("definition", definitions), ("stem", stems)):
        extra = set(values) - set(names)
        if extra:
            raise LabelSetError(f"{kind}s given for unknown label(s) {sorted(extra)}")
        bad = [n for n, v in values.items() if not isinstance(v, str) or not v.strip()]
        if bad:
            raise LabelSetError(f"{kind} of {bad} must be a non-empty string")


def _shipped() -> LabelSet:
    # the shipped checkpoint's metadata is the one record of its labels; read it without yaml
    path = Path(__file__).resolve().parent / "checkpoint" / "event_classifier.json"
    try:
        return LabelSet.from_metadata(json.loads(path.read_text(encoding="utf-8")), str(path))
    except (OSError, ValueError):
        # a broken install still imports; load() then reports the checkpoint problem by path
        return LabelSet(("unknown",))


SHIPPED: LabelSet = _shipped()
LABELS: tuple[str, ...] = SHIPPED.names
DEFINITIONS: dict[str, str] = dict(SHIPPED.definitions)
STEMS: dict[str, str] = dict(SHIPPED.stems)
