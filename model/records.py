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
FORMATS: dict[str, str] = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".txt": "text", ".csv": "csv",
                            ".parquet": "parquet"}

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


def _text_records(raw: str, text_field: str) -> Iterator[tuple[int, dict[str, Any]]]:
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


def _decoded_lines(fh: Any, name: str, first: bytes = b"") -> Iterator[tuple[int, str]]:
    """(line number, line without its line end) from a binary file, decoded one line at a time,
    so memory stays flat and a bad byte is reported with its line."""
    lineno = 0
    for raw in _chain(first, fh):
        lineno += 1
        try:
            line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{name}:{lineno}: not UTF-8 text ({exc.reason} at byte {exc.start} of the line)") from None
        yield lineno, line.rstrip("\r\n")


def _chain(first: bytes, fh: Any) -> Iterator[bytes]:
    if first:
        yield first
    yield from fh


def _json_lines(lines: Iterator[tuple[int, str]], name: str, text_field: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for lineno, line in lines:
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise _json_error(name, lineno, exc) from None
        yield lineno, _check_record(obj, f"{name}:{lineno}", text_field)


def _json_array(raw: str, name: str, text_field: str) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        items = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise _json_error(name, exc.lineno, exc) from None
    if not isinstance(items, list):
        raise InputError(f"{name}: expected a JSON array of objects")
    for i, obj in enumerate(items):
        yield i + 1, _check_record(obj, f"{name}: array item {i + 1}", text_field)


def _csv_records(lines: Iterator[tuple[int, str]], name: str, text_field: str) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(line + "\n" for _, line in lines)
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


def _parquet_records(path: str, text_field: str) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError("reading .parquet needs pyarrow: pip install 'event-classifier[parquet]'") from None
    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow's own error types vary by version
        raise InputError(f"{path}: cannot read Parquet file ({exc})") from None
    if text_field not in pf.schema_arrow.names:
        raise InputError(f"{path}: no {text_field!r} column (columns: {', '.join(pf.schema_arrow.names)}); "
                         "name the text column with --text-field")
    row = 0
    for batch in pf.iter_batches(batch_size=2048):
        for rec in batch.to_pylist():
            row += 1
            yield row, _check_record(rec, f"{path}: row {row}", text_field)


def read_records(path: str | None, stdin: TextIO, *, text_field: str = "text", document: bool = False) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, record) from ``path`` (None or '-' = stdin), reading as it goes.

    Formats: JSON lines (.jsonl, .ndjson; a .json file holding one object per line or one array of
    objects), CSV with a header row (.csv), Parquet (.parquet, with pyarrow), plain text (.txt: one
    text per line, or with ``document`` one article per block between lines of ``---``). stdin is
    sniffed from its first non-blank line. Raises InputError naming file and line.
    """
    found = False
    for item in _read(path, stdin, text_field, document):
        found = True
        yield item
    if not found:
        raise InputError(f"{'<stdin>' if path in (None, '-') else path}: no input text")


def _read(path: str | None, stdin: TextIO, text_field: str, document: bool) -> Iterator[tuple[int, dict[str, Any]]]:
    if path is None or path == "-":
        name = "<stdin>"
        fh = getattr(stdin, "buffer", None)
        if fh is None:  # a text stream without bytes underneath (tests): read it as bytes
            fh = io.BytesIO(stdin.read().encode("utf-8"))
        first = b""
        for raw in fh:  # peek at the first non-blank line to tell the format
            first += raw
            if raw.strip():
                break
        head = first.lstrip()
        fmt = "json" if head.startswith(b"[") else "jsonl" if head.startswith(b"{") else "text"
        if fmt == "json" or (fmt == "text" and document):
            raw_all = (first + fh.read()).decode("utf-8-sig", errors="replace")
            yield from (_json_array(raw_all, name, text_field) if fmt == "json" else _text_records(raw_all, text_field))
            return
        lines = _decoded_lines(fh, name, first)
        yield from (_json_lines(lines, name, text_field) if fmt == "jsonl" else _text_lines(lines, text_field))
        return
    fmt = input_format(path)
    if fmt == "parquet":
        yield from _parquet_records(path, text_field)
        return
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise InputError(f"cannot read input file {path}: {exc.strerror or exc}") from None
    with fh:
        if fmt == "json" or (fmt == "text" and document):
            raw = fh.read()
            try:
                # offsets in document mode index the file's own text, "\r\n" included
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                line = raw[: exc.start].count(b"\n") + 1
                raise InputError(f"{path}:{line}: not UTF-8 text ({exc.reason})") from None
            if fmt == "json" and text.lstrip().startswith("["):
                yield from _json_array(text, path, text_field)
            elif fmt == "json":
                yield from _json_lines(enumerate(text.splitlines(), start=1), path, text_field)
            else:
                yield from _text_records(text, text_field)
            return
        lines = _decoded_lines(fh, path)
        if fmt == "jsonl":
            yield from _json_lines(lines, path, text_field)
        elif fmt == "csv":
            yield from _csv_records(lines, path, text_field)
        else:
            yield from _text_lines(lines, text_field)


def _text_lines(lines: Iterator[tuple[int, str]], text_field: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for lineno, line in lines:
        if line.strip():
            yield lineno, {text_field: line}


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
