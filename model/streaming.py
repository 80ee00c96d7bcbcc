"""Labelling a stream of records in chunks: constant memory, output written as it goes, resumable.

`event-classifier predict --input X --output Y` runs through here. Output is written a chunk at a
time and flushed, in whole records only; `--resume` finds what an earlier run already wrote (by
`id` when every record has one, else by position) and appends the rest.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, TextIO

from .inference import EventClassifier, Threshold


@dataclass
class Stats:
    records: int = 0
    labelled: int = 0
    skipped: int = 0
    seconds: float = 0.0

    def line(self, target: str) -> str:
        rate = self.records / self.seconds if self.seconds > 0 else 0.0
        skipped = f", {self.skipped} already in the output skipped" if self.skipped else ""
        return (f"event-classifier: {self.records} records labelled ({self.labelled} with a label){skipped} "
                f"in {self.seconds:.1f} s, {rate:.0f} records/s -> {target}")


class JsonlWriter:
    """JSON lines to a file (appending when resuming) or stdout; each chunk written and flushed whole."""

    def __init__(self, path: str | None, append: bool = False) -> None:
        self.path = path
        self.fh: TextIO = open(path, "a" if append else "w", encoding="utf-8") if path else sys.stdout
        self.written = 0

    def write(self, rows: list[dict[str, Any]]) -> None:
        # one write per chunk: a kill between chunks leaves only whole lines behind
        self.fh.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        self.fh.flush()
        self.written += len(rows)

    def close(self, ok: bool = True) -> None:
        if self.fh is not sys.stdout:
            self.fh.close()


class ParquetWriter:
    """Parquet, one row group per chunk, written to a hidden file that replaces ``path`` only when
    the run completes, so an interrupted run never leaves a truncated Parquet file."""

    def __init__(self, path: str) -> None:
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ValueError("writing .parquet needs pyarrow: pip install 'event-classifier[parquet]'") from None
        self.path = Path(path)
        self.tmp = self.path.with_name(f".{self.path.name}.partial")
        self.writer: Any = None
        self.written = 0

    def write(self, rows: list[dict[str, Any]]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pylist(rows)
        if self.writer is None:
            self.writer = pq.ParquetWriter(str(self.tmp), table.schema)
        else:
            table = table.cast(self.writer.schema)
        self.writer.write_table(table)
        self.written += len(rows)

    def close(self, ok: bool = True) -> None:
        if self.writer is not None:
            self.writer.close()
        if ok and self.writer is not None:
            os.replace(self.tmp, self.path)
        elif self.tmp.exists():
            self.tmp.unlink()


def open_writer(path: str | None, append: bool = False) -> JsonlWriter | ParquetWriter:
    if path and path.lower().endswith(".parquet"):
        if append:
            raise ValueError("--resume needs a .jsonl output (a Parquet file is written whole at the end)")
        return ParquetWriter(path)
    return JsonlWriter(path, append)


def already_written(path: str, by_id: bool) -> tuple[int, set[str]]:
    """Records an earlier run wrote to ``path`` (a JSONL file): their count and, with ``by_id``,
    their ids. A half-written last line (a killed run) is cut off first."""
    p = Path(path)
    if not p.is_file():
        return 0, set()
    count, ids, good_end = 0, set(), 0
    # line by line: an archive's output may be far larger than memory
    with p.open("rb+") as fh:
        for line in fh:
            if not line.endswith(b"\n"):
                break
            good_end += len(line)
            if not line.strip():
                continue
            count += 1
            if by_id:
                try:
                    ids.add(str(json.loads(line)["id"]))
                except (ValueError, KeyError, TypeError):
                    raise ValueError(f"{path}:{count}: cannot resume: not a JSON record with an 'id'") from None
        fh.truncate(good_end)
    return count, ids


def chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def label_records(
    records: Iterable[dict[str, Any]],
    clf: EventClassifier,
    writer: JsonlWriter | ParquetWriter,
    *,
    text_field: str = "text",
    names: dict[str, str] | None = None,
    document: bool = False,
    threshold: Threshold = None,
    use_context: bool = True,
    batch_size: int = 32,
    chunk_size: int = 512,
    progress: Any = None,
    explain: bool = False,
) -> Stats:
    """Label ``records`` chunk by chunk and write each input record with its predictions added
    under ``names`` (produced field -> output field). Returns counts and time."""
    from .document import predict_document

    names = names or {}
    stats = Stats()
    started = time.perf_counter()
    for chunk in chunks(records, max(1, chunk_size // 32) if document else chunk_size):
        if document:
            results = [predict_document(r[text_field], classifier=clf, threshold=threshold, use_context=use_context,
                                        explain=explain).to_dict() for r in chunk]
        else:
            has_ctx = use_context and any("context" in r for r in chunk)
            contexts = [r.get("context") for r in chunk] if has_ctx else None
            preds = clf.predict([r[text_field] for r in chunk], batch_size=batch_size, threshold=threshold, context=contexts,
                                explain=explain)
            results = [p.to_dict() for p in preds]
        rows = []
        for rec, res in zip(chunk, results):
            res.pop("text", None)  # the record already holds the text under its own field name
            rows.append({**rec, **{names.get(k, k): v for k, v in res.items()}})
            stats.labelled += bool(res["labels"])
        writer.write(rows)
        stats.records += len(rows)
        if progress is not None:
            progress.update(len(rows))
    stats.seconds = time.perf_counter() - started
    return stats
