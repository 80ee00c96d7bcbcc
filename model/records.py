"""Input files for the CLI: which format a file is, and the records in it.

One rule for every reader: a record is a dict whose ``text_field`` holds the text; every other
field is kept and written back out. Errors name the file and line.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

# Extensions are matched case-insensitively; anything else is refused rather than guessed,
# because reading a CSV or JSON file as raw lines "works" and returns nonsense.
FORMATS: dict[str, str] = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".txt": "text", ".csv": "csv"}

ARTICLE_SEPARATOR = "---"
"""In plain text with --document, a line holding only this separates articles."""


class InputError(ValueError):
    """An input file or stdin cannot be read as records; the message names file and line."""


def input_format(path: str) -> str:
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        known = ", ".join(FORMATS)
        raise InputError(f"{path}: unknown input format {Path(path).suffix or '(no extension)'!r}; "
                         f"use one of {known} (or '-' for stdin)")
    return fmt


def sniff_format(raw: str) -> str:
    """stdin has no name: JSON lines if every non-blank line is an object, a JSON array if it starts with '['."""
    lines = [line for line in raw.splitlines() if line.strip()]
    if lines and lines[0].lstrip().startswith("["):
        return "json"
    if lines and all(line.lstrip().startswith("{") for line in lines):
        return "jsonl"
    return "text"


def _json_error(name: str, lineno: int, exc: json.JSONDecodeError) -> InputError:
    # exc.msg alone reads "Unterminated string starting at" with the position cut off
    return InputError(f"{name}:{lineno}: malformed JSON ({exc.msg.removesuffix(' at')} at column {exc.colno})")


def _check_record(obj: Any, where: str, text_field: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise InputError(f"{where}: expected a JSON object with a string {text_field!r}, got {type(obj).__name__}")
    if not isinstance(obj.get(text_field), str):
        got = "no such field" if text_field not in obj else f"a {type(obj[text_field]).__name__}"
        raise InputError(f"{where}: expected a string {text_field!r} field ({got}; fields: {', '.join(map(str, obj)) or 'none'})")
    if obj.get("context") is not None and not isinstance(obj["context"], str):
        raise InputError(f"{where}: 'context' must be a string or null")
    return obj


def _text_records(raw: str, document: bool, text_field: str) -> Iterator[tuple[int, dict[str, Any]]]:
    if not document:
        for lineno, line in enumerate(raw.splitlines(), start=1):
            if line.strip():
                yield lineno, {text_field: line}
        return
    # keep each article's own characters (offsets index them); split at separator lines only
    start_line, buf = 1, []
    for lineno, line in enumerate(raw.splitlines(keepends=True), start=1):
        if line.strip() == ARTICLE_SEPARATOR:
            if "".join(buf).strip():
                yield start_line, {text_field: "".join(buf)}
            start_line, buf = lineno + 1, []
        else:
            buf.append(line)
    if "".join(buf).strip():
        yield start_line, {text_field: "".join(buf)}


def read_records(path: str | None, stdin: TextIO, *, text_field: str = "text", document: bool = False) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, record) from ``path`` (None or '-' = stdin).

    Formats: JSON lines (.jsonl, .ndjson; a .json file holding one object per line or one array of
    objects), CSV with a header row (.csv), plain text (.txt: one text per line, or with
    ``document`` one article per block between lines of ``---``). stdin is sniffed the same way.
    """
    if path is None or path == "-":
        name, raw = "<stdin>", stdin.read()
        fmt = sniff_format(raw)
    else:
        fmt = input_format(path)
        name = path
        try:
            # newline="" keeps "\r\n", so document offsets index the file's own text
            with open(path, encoding="utf-8-sig", newline="") as fh:
                raw = fh.read()
        except UnicodeDecodeError as exc:
            line = raw_line_of(path, exc.start)
            raise InputError(f"{path}:{line}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        except OSError as exc:
            raise InputError(f"cannot read input file {path}: {exc.strerror or exc}") from None
    if not raw.strip():
        raise InputError(f"{name}: no input text")
    if fmt == "json" and raw.lstrip().startswith("["):
        try:
            items = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise _json_error(name, exc.lineno, exc) from None
        if not isinstance(items, list):
            raise InputError(f"{name}: expected a JSON array of objects")
        for i, obj in enumerate(items):
            yield i + 1, _check_record(obj, f"{name}: array item {i + 1}", text_field)
        return
    if fmt in ("json", "jsonl"):
        for lineno, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise _json_error(name, lineno, exc) from None
            yield lineno, _check_record(obj, f"{name}:{lineno}", text_field)
        return
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(raw, newline=""))
        if reader.fieldnames is None or text_field not in reader.fieldnames:
            cols = ", ".join(reader.fieldnames or []) or "none"
            raise InputError(f"{name}:1: the CSV header has no {text_field!r} column (columns: {cols}); "
                             "name the text column with --text-field")
        for row in reader:
            if None in row:
                raise InputError(f"{name}:{reader.line_num}: more values than header columns")
            if row[text_field] is None:
                raise InputError(f"{name}:{reader.line_num}: fewer values than header columns")
            yield reader.line_num, dict(row)
        return
    yield from _text_records(raw, document, text_field)


def raw_line_of(path: str, byte_offset: int) -> int:
    try:
        with open(path, "rb") as fh:
            return fh.read(byte_offset).count(b"\n") + 1
    except OSError:
        return 0


def output_fields(record: dict[str, Any], produced: list[str], prefix: str, name: str, lineno: int) -> dict[str, str]:
    """Map each produced field to its output name; refuse to overwrite an input field."""
    names = {k: prefix + k for k in produced}
    clash = [n for n in names.values() if n in record]
    if clash:
        raise InputError(
            f"{name}:{lineno}: the input already has {', '.join(repr(c) for c in clash)}, which the predictions "
            f"would overwrite; keep both with --field-prefix (e.g. --field-prefix pred_ writes "
            f"{', '.join('pred_' + k for k in produced)})"
        )
    return names
