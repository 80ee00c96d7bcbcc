"""`make evaluate`: score the shipped checkpoint on test (and dev) with the same code as predict(),
compare with baselines, and write reports/metrics.json. Everything else in reports/ and the
model card is generated from that file (train/report.py)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from event_classifier.artifacts import DEFAULT_CHECKPOINT
from event_classifier.labels import LABELS

from .baselines import KeywordRule, TfidfLogReg
from .data import file_sha256, multi_hot, read_jsonl
from .metrics import apply_thresholds, multilabel_metrics

N_BOOT = 1000
SEED = 12345
N_BINS = 10


def bootstrap_f1(y: np.ndarray, pred: np.ndarray, n_boot: int = N_BOOT, seed: int = SEED,
                 groups: list | None = None, labels: Sequence[str] = LABELS) -> dict[str, Any]:
    """95% percentile intervals for micro F1, macro F1 and each label's F1.

    Rows are resampled, or whole groups (articles) when ``groups`` gives each row's group: the
    sentences of one article are not independent, so resampling them one by one would make the
    interval too narrow."""
    rng = np.random.default_rng(seed)
    counts = np.stack([y & pred, (1 - y) & pred, y & (1 - pred)]).astype(float)  # (3, N, L)
    if groups is not None:
        keys = {g: i for i, g in enumerate(dict.fromkeys(groups))}
        unit = np.zeros((3, len(keys), y.shape[1]))
        np.add.at(unit, (slice(None), [keys[g] for g in groups]), counts)
        counts = unit
    n_units = counts.shape[1]
    idx = rng.integers(0, n_units, size=(n_boot, n_units))
    tp, fp, fn = (counts[k][idx].sum(axis=1) for k in range(3))  # (B, L)
    with np.errstate(invalid="ignore", divide="ignore"):
        per = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
        micro = 2 * tp.sum(1) / np.maximum(2 * tp.sum(1) + fp.sum(1) + fn.sum(1), 1)
    ci = lambda a: [float(np.percentile(a, 2.5)), float(np.percentile(a, 97.5))]  # noqa: E731
    return {
        "n_resamples": n_boot,
        "seed": seed,
        "unit": "article" if groups is not None else "row",
        "micro_f1": ci(micro),
        "macro_f1": ci(per.mean(1)),
        "per_label_f1": {lab: ci(per[:, i]) for i, lab in enumerate(labels)},
    }


def calibration(y: np.ndarray, probs: np.ndarray, n_bins: int = N_BINS, labels: Sequence[str] = LABELS) -> dict[str, Any]:
    """Expected calibration error per label (equal-width bins) and the reliability table."""
    edges = np.linspace(0, 1, n_bins + 1)
    out: dict[str, Any] = {"n_bins": n_bins, "per_label": {}}
    for i, lab in enumerate(labels):
        p, t = probs[:, i], y[:, i]
        bins = np.clip(np.digitize(p, edges[1:-1]), 0, n_bins - 1)
        ece, table = 0.0, []
        for b in range(n_bins):
            m = bins == b
            if m.any():
                conf, acc = float(p[m].mean()), float(t[m].mean())
                ece += m.mean() * abs(conf - acc)
                table.append({"bin": [float(edges[b]), float(edges[b + 1])], "n": int(m.sum()), "mean_score": conf, "positive_rate": acc})
        out["per_label"][lab] = {"ece": float(ece), "bins": table}
    out["mean_ece"] = float(np.mean([v["ece"] for v in out["per_label"].values()]))
    return out


def pr_curves(y: np.ndarray, probs: np.ndarray, labels: Sequence[str] = LABELS) -> dict[str, Any]:
    from sklearn.metrics import average_precision_score, precision_recall_curve

    out = {}
    for i, lab in enumerate(labels):
        prec, rec, _ = precision_recall_curve(y[:, i], probs[:, i])
        keep = np.unique(np.linspace(0, len(prec) - 1, min(len(prec), 200)).astype(int))
        out[lab] = {
            "average_precision": float(average_precision_score(y[:, i], probs[:, i])),
            "precision": [round(float(v), 4) for v in prec[keep]],
            "recall": [round(float(v), 4) for v in rec[keep]],
        }
    return out


def errors(rows, y: np.ndarray, probs: np.ndarray, thresholds: dict[str, float], k: int = 20) -> dict[str, list]:
    """The k most confident false positives and false negatives (one entry per sentence-label)."""
    labels = list(thresholds)  # in the checkpoint's label order
    fps, fns = [], []
    for r, ex in enumerate(rows):
        for i, lab in enumerate(labels):
            s = float(probs[r, i])
            item = {"id": ex.id, "text": ex.text, "label": lab, "score": round(s, 4), "gold": list(ex.labels),
                    "predicted": [l for j, l in enumerate(labels) if probs[r, j] >= thresholds[l]]}
            if s >= thresholds[lab] and not y[r, i]:
                fps.append(item)
            elif s < thresholds[lab] and y[r, i]:
                fns.append(item)
    fps.sort(key=lambda d: -d["score"])
    fns.sort(key=lambda d: d["score"])
    return {"false_positives": fps[:k], "false_negatives": fns[:k], "n_false_positives": len(fps), "n_false_negatives": len(fns)}


SUBSETS = {
    "sentences": lambda ex: not ex.doc,
    "article_sentences": lambda ex: bool(ex.doc),
    "needs_context": lambda ex: ex.needs_context,
}
"""Slices reported next to the whole split: stand-alone sentences, sentences read inside an
article, and the article sentences whose labels depend on the sentence before them."""


def echo_rows(rows) -> list[int]:
    """Article sentences with no label right after a sentence that has one: where a context model
    may wrongly copy the previous sentence's labels."""
    return [i for i in range(1, len(rows)) if rows[i].doc and rows[i].doc == rows[i - 1].doc
            and not rows[i].labels and rows[i - 1].labels]


def label_echo(rows, pred: np.ndarray) -> dict[str, Any] | None:
    """How often the model labels the sentences `echo_rows` picks (lower is better)."""
    echo = echo_rows(rows)
    return {"n": len(echo), "share_with_a_label": float(pred[echo].any(axis=1).mean())} if echo else None


def subset_metrics(rows, y: np.ndarray, pred: np.ndarray, labels: Sequence[str] = LABELS) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, keep in SUBSETS.items():
        idx = np.array([i for i, ex in enumerate(rows) if keep(ex)], dtype=int)
        if len(idx) == 0:
            continue
        m = multilabel_metrics(y[idx], pred[idx], labels)
        # sentences of one article are not independent: resample whole articles for their intervals
        groups = [rows[i].doc for i in idx] if name != "sentences" else None
        out[name] = {"n": int(len(idx)), "micro_f1": m["micro_f1"], "macro_f1": m["macro_f1"],
                     "exact_match": float((y[idx] == pred[idx]).all(axis=1).mean()),
                     "bootstrap": bootstrap_f1(y[idx], pred[idx], groups=groups, labels=labels)}
    return out


def evaluate(checkpoint: str | Path = DEFAULT_CHECKPOINT, data_dir: str | Path = "data", out: str | Path = "reports/metrics.json") -> dict[str, Any]:
    from event_classifier import load

    started = time.time()
    checkpoint = Path(checkpoint)
    data_dir = Path(data_dir)
    default = load(checkpoint)
    labels = default.labels  # the checkpoint's label set, not the package's
    names = labels.names
    rows = {s: read_jsonl(data_dir / f"{s}.jsonl", names) for s in ("train", "dev", "test")}
    y = {s: multi_hot(r, names) for s, r in rows.items()}
    texts = {s: [e.text for e in r] for s, r in rows.items()}
    contexts = {s: [e.context for e in r] for s, r in rows.items()}

    # The default backend is what predict() uses; torch fp32 is the reference it must match.
    backends = {f"{default.backend}-{default.precision}": default}
    if default.backend != "torch":
        try:
            backends["torch-fp32"] = load(checkpoint, backend="torch")
        except ImportError:
            pass
    thresholds = default.thresholds
    result: dict[str, Any] = {
        "checkpoint": {"path": str(checkpoint), "checkpoint_id": default.metadata.get("checkpoint_id"),
                       "created": default.metadata.get("created"), "package_version": default.metadata.get("package_version"),
                       "train_config": default.metadata.get("train_config"), "training": default.metadata.get("training")},
        "default_backend": f"{default.backend}-{default.precision}",
        "thresholds": thresholds,
        **labels.to_metadata(),
        "data": {s: {"file": str(data_dir / f"{s}.jsonl"), "sha256": file_sha256(data_dir / f"{s}.jsonl"), "n": len(r),
                     "article_sentences": sum(bool(e.doc) for e in r), "articles": len({e.doc for e in r if e.doc})}
                 for s, r in rows.items()},
        "splits": {},
        "backends": {},
        "baselines": {},
    }
    result["context_mode"] = default.context_mode
    probs_by_backend = {
        name: {s: clf.scores(texts[s], batch_size=64, contexts=contexts[s] if clf.context else None)[0] for s in ("dev", "test")}
        for name, clf in backends.items()
    }
    probs = probs_by_backend[result["default_backend"]]
    for s in ("dev", "test"):
        pred = apply_thresholds(probs[s], thresholds)
        m = multilabel_metrics(y[s], pred, names)
        m["bootstrap"] = bootstrap_f1(y[s], pred, labels=names)
        m["calibration"] = calibration(y[s], probs[s], labels=names)
        m["pr_curves"] = pr_curves(y[s], probs[s], names)
        m["confusion"] = {lab: {"tn": int(((1 - y[s][:, i]) & (1 - pred[:, i])).sum()), "fp": int(((1 - y[s][:, i]) & pred[:, i]).sum()),
                                "fn": int((y[s][:, i] & (1 - pred[:, i])).sum()), "tp": int((y[s][:, i] & pred[:, i]).sum())}
                          for i, lab in enumerate(names)}
        m["subsets"] = subset_metrics(rows[s], y[s], pred, names)
        m["label_echo"] = label_echo(rows[s], pred)
        result["splits"][s] = m
    result["errors"] = errors(rows["test"], y["test"], probs["test"], thresholds)
    from .faithfulness import faithfulness

    result["faithfulness"] = faithfulness(default, texts["test"], contexts["test"] if default.context else None)
    # per-sentence predictions: lets a test check that these numbers are what predict() gives
    result["test_predictions"] = [[lab for j, lab in enumerate(names) if probs["test"][r, j] >= thresholds[lab]] for r in range(len(rows["test"]))]

    ref = probs_by_backend.get("torch-fp32")
    for name, pb in probs_by_backend.items():
        pred = apply_thresholds(pb["test"], thresholds)
        m = multilabel_metrics(y["test"], pred, names)
        entry = {"micro_f1": m["micro_f1"], "macro_f1": m["macro_f1"], "per_label_f1": {l: v["f1"] for l, v in m["per_label"].items()}}
        if ref is not None:
            ref_pred = apply_thresholds(ref["test"], thresholds)
            entry["label_agreement_with_torch"] = float((pred == ref_pred).all(axis=1).mean())
            entry["max_abs_score_diff_vs_torch"] = float(np.abs(pb["test"] - ref["test"]).max())
        result["backends"][name] = entry

    for base in (KeywordRule(labels), TfidfLogReg(names)):
        base.fit(texts["train"], y["train"], texts["dev"], y["dev"])
        pred = base.predict(texts["test"])
        m = multilabel_metrics(y["test"], pred, names)
        m["bootstrap"] = bootstrap_f1(y["test"], pred, labels=names)
        if isinstance(base, TfidfLogReg):
            m["thresholds"] = base.thresholds
            m["C"] = base.C
        result["baselines"][base.name] = m
    result["seconds"] = round(time.time() - started, 1)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return result


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if any(a == "--data" or a.startswith("--data=") for a in argv):
        from .evaluate_file import main as evaluate_file_main

        return evaluate_file_main(argv)
    ap = argparse.ArgumentParser(prog="event-classifier evaluate", description=__doc__)
    ap.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT), help="checkpoint folder (default: the shipped one)")
    ap.add_argument("--data", default=None, help="score any labelled JSONL instead (see `evaluate --data FILE --help`)")
    ap.add_argument("--data-dir", default="data", help="folder with train/dev/test.jsonl")
    ap.add_argument("--reports", default="reports", help="folder for metrics.json, eval.md and plots")
    ap.add_argument("--model-card", default=None, help="model card path (default: <checkpoint>/README.md)")
    ap.add_argument("--gate", default=None, help="YAML of floors (configs/gate.yaml); exit 1 when the model is below")
    args = ap.parse_args(argv)
    from . import report

    metrics_path = Path(args.reports) / "metrics.json"
    evaluate(args.checkpoint, args.data_dir, metrics_path)
    # README tables describe the shipped model only
    shipped = Path(args.checkpoint).resolve() == DEFAULT_CHECKPOINT.resolve()
    report.write_all(metrics_path, Path(args.reports), Path(args.model_card or Path(args.checkpoint) / "README.md"),
                     readme=Path("README.md") if shipped else None)
    print(f"wrote {metrics_path}, {Path(args.reports) / 'eval.md'} and the model card")
    if args.gate:
        from .gate import check_gate

        failures = check_gate(json.loads(metrics_path.read_text()), args.gate)
        if failures:
            print("\nEVALUATION GATE FAILED:", file=sys.stderr)
            for f in failures:
                print(f"  {f}", file=sys.stderr)
            return 1
        print("evaluation gate passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
