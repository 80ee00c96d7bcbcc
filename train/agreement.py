"""Inter-annotator agreement on the doubly annotated test sentences.

Inputs (data/annotation/):
- second_annotator.jsonl: {"id", "labels"} from a second annotator who saw only the guidelines
  and the texts;
- adjudication.jsonl: one entry per sentence where the two disagreed: {"id", "first", "second",
  "final", "note"}; "final" is what data/test.jsonl holds after adjudication.
The first annotator's labels are "first" for disagreements and the test labels elsewhere.
Writes data/annotation/agreement.json and prints per-label Cohen's kappa and raw agreement.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from event_classifier.labels import LABELS

from .data import read_jsonl


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def agreement(data_dir: str | Path = "data") -> dict:
    data_dir = Path(data_dir)
    test = {ex.id: ex for ex in read_jsonl(data_dir / "test.jsonl")}
    second = {r["id"]: r["labels"] for r in _read(data_dir / "annotation" / "second_annotator.jsonl")}
    adjud = {r["id"]: r for r in _read(data_dir / "annotation" / "adjudication.jsonl")}
    missing = [i for i in second if i not in test]
    if missing:
        raise ValueError(f"second_annotator.jsonl has ids not in test.jsonl: {missing[:5]}")
    ids = sorted(second)
    problems = []
    for i in ids:
        first = adjud[i]["first"] if i in adjud else list(test[i].labels)
        if (sorted(first) != sorted(second[i])) != (i in adjud):
            problems.append(i)
        if i in adjud and sorted(adjud[i]["final"]) != sorted(test[i].labels):
            problems.append(i)
    if problems:
        raise ValueError(f"adjudication log does not match the data for ids {problems[:10]}")
    out = _stats(ids, test, second, adjud)
    art = [i for i in ids if test[i].doc]
    if art:
        # article sentences are labelled in context, a harder task: report them on their own too
        out["article_sentences"] = _stats(art, test, second, adjud)
        out["standalone_sentences"] = _stats([i for i in ids if not test[i].doc], test, second, adjud)
    return out


def _stats(ids: list[str], test: dict, second: dict, adjud: dict) -> dict:
    from sklearn.metrics import cohen_kappa_score

    a = np.array([[lab in (adjud[i]["first"] if i in adjud else test[i].labels) for lab in LABELS] for i in ids], dtype=int)
    b = np.array([[lab in second[i] for lab in LABELS] for i in ids], dtype=int)
    final = np.array([[lab in test[i].labels for lab in LABELS] for i in ids], dtype=int)
    rel = [adjud[i] for i in ids if i in adjud]
    out = {
        "n_sentences": len(ids),
        "per_label": {
            lab: {
                "cohen_kappa": float(cohen_kappa_score(a[:, k], b[:, k])),
                "raw_agreement": float((a[:, k] == b[:, k]).mean()),
                "first_positives": int(a[:, k].sum()),
                "second_positives": int(b[:, k].sum()),
                "changed_by_adjudication": int((a[:, k] != final[:, k]).sum()),
            }
            for k, lab in enumerate(LABELS)
        },
        "exact_label_set_agreement": float((a == b).all(axis=1).mean()),
        "n_disagreements": len(rel),
        "adjudication_kept_first": sum(sorted(r["final"]) == sorted(r["first"]) for r in rel),
        "adjudication_took_second": sum(sorted(r["final"]) == sorted(r["second"]) for r in rel),
    }
    out["mean_kappa"] = float(np.mean([v["cohen_kappa"] for v in out["per_label"].values()]))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="agreement", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default="data")
    args = ap.parse_args(argv)
    res = agreement(args.data_dir)
    path = Path(args.data_dir) / "annotation" / "agreement.json"
    path.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    print(f"{res['n_sentences']} test sentences annotated twice; {res['n_disagreements']} adjudicated")
    print(f"{'label':<14}{'kappa':>8}{'raw agr.':>10}")
    for lab, v in res["per_label"].items():
        print(f"{lab:<14}{v['cohen_kappa']:>8.3f}{v['raw_agreement']:>10.3f}")
    print(f"exact label-set agreement: {res['exact_label_set_agreement']:.3f}; wrote {path}")
    from .report import replace_block

    table = [f"{res['n_sentences']} test sentences labelled twice; {res['n_disagreements']} disagreements adjudicated "
             f"({res['adjudication_kept_first']} kept the first label set, {res['adjudication_took_second']} took the second's).", ""]
    parts = [("all", res)] + [(k.replace("_", " "), res[k]) for k in ("standalone_sentences", "article_sentences") if k in res]
    table += ["| label | " + " | ".join(f"kappa, {name} (n={r['n_sentences']})" for name, r in parts) + " | 1st / 2nd annotator positives (all) |",
              "|---|" + "---:|" * (len(parts) + 1)]
    for lab, v in res["per_label"].items():
        table.append(f"| {lab} | " + " | ".join(f"{r['per_label'][lab]['cohen_kappa']:.3f}" for _, r in parts)
                     + f" | {v['first_positives']} / {v['second_positives']} |")
    table.append("| exact label-set agreement | " + " | ".join(f"{r['exact_label_set_agreement']:.3f}" for _, r in parts) + " | |")
    table.append(f"\nMean kappa (all): {res['mean_kappa']:.3f}.")
    replace_block(Path(args.data_dir) / "README.md", "agreement", "\n".join(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
