"""Locating and validating a checkpoint folder without importing torch.

A checkpoint is a standard Hugging Face folder (config.json, model.safetensors, tokenizer files)
plus ``event_classifier.json`` (labels, thresholds, training config, data hashes, dev metrics).
The ONNX export lives in a sibling folder ``onnx/`` with its own copy of that metadata.
"""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path
from typing import Any

from .labels import LabelSet, LabelSetError

METADATA_FILE = "event_classifier.json"
PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_CHECKPOINT = PACKAGE_DIR / "checkpoint"
DEFAULT_ONNX_DIR = PACKAGE_DIR / "onnx"
ONNX_FILES = {"fp32": "model.onnx", "int8": "model.int8.onnx"}


class CheckpointError(RuntimeError):
    """A checkpoint folder is missing, incomplete or inconsistent."""


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise CheckpointError(f"{path}: file is missing")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise CheckpointError(f"{path}: expected a JSON object")
    return data


def check_safetensors(path: Path) -> None:
    """Cheap integrity check: the header parses and every tensor lies inside the file."""
    if not path.is_file():
        raise CheckpointError(f"{path}: weights file is missing")
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            raise CheckpointError(f"{path}: truncated safetensors file ({size} bytes)")
        (n,) = struct.unpack("<Q", head)
        if n <= 0 or 8 + n > size:
            raise CheckpointError(f"{path}: corrupt safetensors header (length {n}, file {size} bytes)")
        try:
            header = json.loads(fh.read(n))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise CheckpointError(f"{path}: corrupt safetensors header (not JSON)") from None
    data_len = size - 8 - n
    for name, info in header.items():
        if name == "__metadata__":
            continue
        end = info.get("data_offsets", [0, 0])[1]
        if end > data_len:
            raise CheckpointError(
                f"{path}: truncated safetensors file (tensor {name!r} ends at byte {end}, "
                f"only {data_len} data bytes present)"
            )


def read_metadata(folder: Path) -> dict[str, Any]:
    """Read and validate ``event_classifier.json`` in ``folder`` (labels, thresholds, max_length)."""
    path = folder / METADATA_FILE
    meta = _read_json(path)
    try:
        labels = LabelSet.from_metadata(meta, str(path))
    except LabelSetError as exc:
        raise CheckpointError(str(exc)) from None
    thresholds = meta.get("thresholds", {})
    missing = [lab for lab in labels if not isinstance(thresholds.get(lab), (int, float))]
    if missing:
        raise CheckpointError(f"{path}: no threshold for {missing}")
    if not isinstance(meta.get("max_length"), int):
        raise CheckpointError(f"{path}: max_length missing or not an integer")
    return meta


def validate_checkpoint(folder: str | Path) -> dict[str, Any]:
    """Validate a Hugging Face checkpoint folder; return its metadata. Raises CheckpointError."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CheckpointError(f"{folder}: checkpoint folder not found")
    config = _read_json(folder / "config.json")
    meta = read_metadata(folder)
    labels = list(meta["labels"])
    id2label = config.get("id2label") or {}
    if len(id2label) != len(labels):
        raise CheckpointError(
            f"{folder / 'config.json'}: wrong label count: {len(id2label)} labels, expected {len(labels)} "
            f"(the labels in {METADATA_FILE})"
        )
    names = [id2label.get(str(i), id2label.get(i)) for i in range(len(labels))]  # type: ignore[call-overload]
    if names != labels:
        raise CheckpointError(f"{folder / 'config.json'}: id2label {names} does not match {labels} in {METADATA_FILE}")
    if not (folder / "tokenizer.json").is_file():
        raise CheckpointError(f"{folder / 'tokenizer.json'}: file is missing")
    check_safetensors(folder / "model.safetensors")
    return meta


def validate_onnx_dir(folder: str | Path, precision: str) -> tuple[Path, dict[str, Any]]:
    """Return the ONNX model path and metadata for ``precision`` ('int8' or 'fp32')."""
    folder = Path(folder)
    model = folder / ONNX_FILES[precision]
    if not model.is_file():
        raise CheckpointError(f"{model}: ONNX model is missing (run `make export`)")
    if model.stat().st_size < 1024:
        raise CheckpointError(f"{model}: ONNX model is truncated ({model.stat().st_size} bytes)")
    if not (folder / "tokenizer.json").is_file():
        raise CheckpointError(f"{folder / 'tokenizer.json'}: file is missing")
    return model, read_metadata(folder)


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
