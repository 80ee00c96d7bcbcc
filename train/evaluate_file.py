"""`event-classifier evaluate --data FILE.jsonl`: score a model on any labelled JSONL file.

Meant for samples the corpus was not written from (a user's own articles, published news), so the
reader is lenient about extra fields but strict about the ones it uses; bad lines are reported as
file:line. When rows carry `doc` (article id, rows in article order), three readings are scored:

- alone:   predict(text) against `alone_labels` (or `labels` when a row has none);
- context: predict(text, context=previous sentence of the same doc) against `labels`;
- article: predict_document(the doc's sentences joined).labels against the union of `labels`.

Only figures are written (reports/<name>.json and .md), never the text, so a private sample can be
evaluated without its sentences landing in the repository.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from event_classifier.labels import LABELS

from .data import DataError, file_sha256, json_lines
from .evaluate import bootstrap_f1
from .metrics import multilabel_metrics


@dataclass(frozen=True)
class Row:
    id: str
    text: str
    labels: tuple[str, ...]
    alone_labels: tuple[str, ...] | None
    doc: str | None
    headline: bool


def _label_list(obj: dict, key: str, where: str, problems: list[str], names: Sequence[str]) -> tuple[str, ...] | None:
    if key not in obj or (key == "alone_labels" and obj[key] is None):
        return None
    value = obj[key]
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        problems.append(f"{where}: '{key}' must be a list of strings")
        return None
    bad = [x for x in value if x not in names]
    if bad:
        problems.append(f"{where}: unknown label(s) {bad} in '{key}'; the model's labels: {list(names)}")
        return None
    return tuple(value)


def read_labelled(path: str | Path, names: Sequence[str] = LABELS) -> list[Row]:
    """Rows with `text` and `labels` (optional: `id`, `alone_labels`, `doc`, `headline`; other
    fields are ignored). Raises DataError naming every bad line."""
    path = Path(path)
    rows: list[Row] = []
    problems: list[str] = []
    for lineno, where, obj in json_lines(path, problems):
        if not isinstance(obj, dict):
            problems.append(f"{where}: expected a JSON object, got {type(obj).__name__}")
            continue
        n_before = len(problems)
        text = obj.get("text")
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{where}: 'text' must be a non-empty string")
        if "labels" not in obj:
            problems.append(f"{where}: missing key 'labels'")
        labels = _label_list(obj, "labels", where, problems, names)
        alone = _label_list(obj, "alone_labels", where, problems, names)
        doc = obj.get("doc")
        if doc is not None and (not isinstance(doc, str) or not doc.strip()):
            problems.append(f"{where}: 'doc' must be a non-empty string or null")
        if len(problems) == n_before:
            rows.append(Row(str(obj.get("id", lineno)), text, labels or (), alone, doc, bool(obj.get("headline", False))))
    # an article's sentences must be consecutive, or "the previous sentence" means nothing
    seen_docs: dict[str, int] = {}
    for i, r in enumerate(rows):
        if r.doc is None:
            continue
        if r.doc in seen_docs and rows[i - 1].doc != r.doc:
            problems.append(f"{path}: row {i + 1} (id {r.id}): doc '{r.doc}' resumes after other rows; "
                            "keep each article's sentences together, in order")
        seen_docs.setdefault(r.doc, i)
    if problems:
        raise DataError(problems)
    if not rows:
        raise DataError([f"{path}: no examples"])
    return rows


def _hot(labels: list[tuple[str, ...]], names: Sequence[str]) -> np.ndarray:
    return np.array([[lab in ls for lab in names] for ls in labels], dtype=np.int64).reshape(len(labels), len(names))


def _scored(y: np.ndarray, pred: np.ndarray, groups: list | None, names: Sequence[str]) -> dict[str, Any]:
    m = multilabel_metrics(y, pred, names)
    m["exact_match"] = float((y == pred).all(axis=1).mean())
    m["bootstrap"] = bootstrap_f1(y, pred, groups=groups, labels=names)
    return m


def evaluate_file(data: str | Path, checkpoint: str | Path | None = None, backend: str = "auto") -> dict[str, Any]:
    """The figures for one labelled file with the default predict() path (or another backend)."""
    from event_classifier import load
    from event_classifier.document import predict_document

    started = time.time()
    clf = load(checkpoint, backend=backend)  # type: ignore[arg-type]
    names = clf.labels.names
    rows = read_labelled(data, names)

    def hot_pred(preds) -> np.ndarray:
        return _hot([tuple(p.labels) for p in preds], names)

    texts = [r.text for r in rows]
    has_docs = any(r.doc for r in rows)
    groups = [r.doc or f"row-{i}" for i, r in enumerate(rows)] if has_docs else None
    result: dict[str, Any] = {
        "data": {"file": str(data), "sha256": file_sha256(data), "n": len(rows),
                 "articles": len({r.doc for r in rows if r.doc}), "article_sentences": sum(bool(r.doc) for r in rows)},
        "model": {"path": str(clf.path), "backend": f"{clf.backend}-{clf.precision}", "context_mode": clf.context_mode,
                  "checkpoint_id": clf.metadata.get("checkpoint_id"), "thresholds": clf.thresholds},
        **clf.labels.to_metadata(),
        "readings": {},
    }

    alone_gold = _hot([r.alone_labels if r.alone_labels is not None else r.labels for r in rows], names)
    alone_pred = hot_pred(clf.predict(texts))
    result["readings"]["alone"] = {
        "gold": "alone_labels" if any(r.alone_labels is not None for r in rows) else "labels",
        **_scored(alone_gold, alone_pred, groups, names),
    }
    if has_docs:
        y = _hot([r.labels for r in rows], names)
        contexts = [rows[i - 1].text if i and r.doc and rows[i - 1].doc == r.doc else None for i, r in enumerate(rows)]
        ctx_pred = hot_pred(clf.predict(texts, context=contexts))
        result["readings"]["context"] = {"gold": "labels", **_scored(y, ctx_pred, groups, names)}
        # the same sentences read alone, scored against in-article labels: what context mode must beat
        result["readings"]["alone_vs_article_labels"] = {"gold": "labels", **_scored(y, alone_pred, groups, names)}

        docs = list(dict.fromkeys(r.doc for r in rows if r.doc))
        doc_gold, doc_pred = [], []
        for d in docs:
            members = [r for r in rows if r.doc == d]
            doc_gold.append(tuple(sorted({lab for r in members for lab in r.labels})))
            doc_pred.append(tuple(predict_document(" ".join(r.text for r in members), classifier=clf).labels))
        yd, pd_ = _hot(doc_gold, names), _hot(doc_pred, names)
        article = multilabel_metrics(yd, pd_, names)
        article["exact_match"] = float((yd == pd_).all(axis=1).mean())
        article["bootstrap"] = bootstrap_f1(yd, pd_, labels=names)
        result["readings"]["article"] = {"gold": "union of labels", **article}
    result["seconds"] = round(time.time() - started, 1)
    return result


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _ci(c: list[float]) -> str:
    return f"[{_pct(c[0])}, {_pct(c[1])}]"


READING_TITLES = {
    "alone": "sentences read alone (`predict(text)`)",
    "context": "with the previous sentence (`predict_document` behaviour)",
    "alone_vs_article_labels": "read alone, scored against in-article labels",
    "article": "whole articles (`predict_document(...).labels`, one row per article)",
}


def summary_rows(m: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(name, m["readings"][name]) for name in READING_TITLES if name in m["readings"]]


def report_md(m: dict[str, Any], name: str) -> str:
    d = m["data"]
    unit = "articles" if d["articles"] else "rows"
    lines = [
        f"# Evaluation on `{name}`",
        "",
        f"_Generated by `event-classifier evaluate --data` from `{name}.json`: {d['n']} sentences"
        + (f" in {d['articles']} articles" if d["articles"] else "")
        + f"; model `{m['model']['path']}` ({m['model']['backend']}, stored thresholds). F1 in %, 95% bootstrap"
        f" intervals over {unit} (1000 resamples). Only figures are stored, never the text._",
        "",
        "| reading | gold | n | micro F1 | macro F1 | exact label set | " + " | ".join(f"{lab} F1" for lab in m["labels"]) + " |",
        "|---|---|---:|---|---|---:|" + "---:|" * len(m["labels"]),
    ]
    for key, r in summary_rows(m):
        b = r["bootstrap"]
        lines.append(
            f"| {READING_TITLES[key]} | {r['gold']} | {r['n']} | {_pct(r['micro_f1'])} {_ci(b['micro_f1'])} | "
            f"{_pct(r['macro_f1'])} {_ci(b['macro_f1'])} | {_pct(r['exact_match'])} | "
            + " | ".join(_pct(r["per_label"][lab]["f1"]) for lab in m["labels"]) + " |"
        )
    lines += ["", "## Per label", "", "| reading | label | precision | recall | F1 | support |", "|---|---|---:|---:|---:|---:|"]
    for key, r in summary_rows(m):
        for lab in m["labels"]:
            p = r["per_label"][lab]
            lines.append(f"| {key} | {lab} | {_pct(p['precision'])} | {_pct(p['recall'])} | {_pct(p['f1'])} | {p['support']} |")
    return "\n".join(lines) + "\n"


def readme_block(m: dict[str, Any], name: str) -> str:
    d = m["data"]
    lines = [f"_Generated by `make realnews` from reports/{name}.json: a private set of {d['n']} sentences from "
             f"{d['articles']} published news articles (kept whole, labelled twice blind and adjudicated), which the "
             f"repository does not redistribute; default `predict()` path ({m['model']['backend']}). F1 in %, 95% "
             "bootstrap intervals over articles._", "",
             "| real news | gold | n | micro F1 | macro F1 | exact label set |", "|---|---|---:|---|---|---:|"]
    for key, r in summary_rows(m):
        if key == "alone_vs_article_labels":
            continue
        b = r["bootstrap"]
        lines.append(f"| {READING_TITLES[key]} | {r['gold']} | {r['n']} | {_pct(r['micro_f1'])} {_ci(b['micro_f1'])} | "
                     f"{_pct(r['macro_f1'])} {_ci(b['macro_f1'])} | {_pct(r['exact_match'])} |")
    return "\n".join(lines)


def update_readme(m: dict[str, Any], name: str, readme: Path) -> None:
    from .report import replace_block

    replace_block(readme, "realnews", readme_block(m, name))


def _checkpoint_id(folder: Path) -> str | None:
    from event_classifier.artifacts import METADATA_FILE

    try:
        return json.loads((folder / METADATA_FILE).read_text(encoding="utf-8")).get("checkpoint_id")
    except (OSError, ValueError):
        return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="event-classifier evaluate --data", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="labelled JSONL: 'text' and 'labels'; optional 'alone_labels', 'doc'")
    ap.add_argument("--name", default=None, help="report name (default: the file's stem): reports/<name>.json and .md")
    ap.add_argument("--checkpoint", default=None, help="checkpoint or ONNX folder (default: the shipped model)")
    ap.add_argument("--backend", choices=["auto", "onnx", "torch"], default="auto", help="auto = what predict() uses")
    ap.add_argument("--reports", default="reports", help="folder for <name>.json and <name>.md")
    ap.add_argument("--readme", default=None, help="also refresh the README's real-news block (make realnews)")
    args = ap.parse_args(argv)
    name = args.name or Path(args.data).stem
    try:
        m = evaluate_file(args.data, args.checkpoint, args.backend)
    except DataError as exc:
        print(f"event-classifier evaluate: {exc}", file=sys.stderr)
        return 2
    out = Path(args.reports)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(m, indent=1) + "\n", encoding="utf-8")
    (out / f"{name}.md").write_text(report_md(m, name), encoding="utf-8")
    if args.readme:
        from event_classifier.artifacts import DEFAULT_CHECKPOINT

        update_readme(m, name, Path(args.readme))
        card = DEFAULT_CHECKPOINT / "README.md"
        if card.is_file() and m["model"].get("checkpoint_id") == _checkpoint_id(DEFAULT_CHECKPOINT):
            update_readme(m, name, card)
    for key, r in summary_rows(m):
        print(f"{key:>24}: micro F1 {_pct(r['micro_f1'])} {_ci(r['bootstrap']['micro_f1'])}  macro {_pct(r['macro_f1'])}  "
              f"exact {_pct(r['exact_match'])}  " + " ".join(f"{lab[:4]} {_pct(r['per_label'][lab]['f1'])}" for lab in m["labels"]))
    print(f"wrote {out / (name + '.json')} and {out / (name + '.md')} ({m['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
