"""`make teacher`: soft labels from a fine-tuned teacher, stored as data for distillation.

The teacher (configs/teacher.yaml: all-mpnet-base-v2, about 40 minutes on 2 CPU cores) is trained
by `event-classifier train`; this module scores every training sentence with it, read alone, and
writes data/teacher/soft_labels.jsonl. `make train` reads that file (config key `teacher_labels`), so
the student trains in minutes and the teacher weights never enter the repository.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .data import DataError, file_sha256, read_jsonl


def write_soft_labels(checkpoint: str | Path, train_file: str | Path, out: str | Path) -> int:
    from event_classifier import load

    clf = load(checkpoint, backend="torch")
    rows = read_jsonl(train_file, clf.labels.names)
    probs, _ = clf.scores([r.text for r in rows], batch_size=64)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        for r, p in zip(rows, probs):
            fh.write(json.dumps({"id": r.id, "scores": [round(float(x), 4) for x in p]}) + "\n")
    meta = {"teacher": clf.metadata.get("base_model"), "teacher_checkpoint_id": clf.metadata.get("checkpoint_id"),
            "teacher_dev_metrics": clf.metadata.get("dev_metrics", {}).get("tuned_thresholds", {}).get("micro_f1"),
            # the split the teacher learned from, which may be older than the file it scored
            "teacher_trained_on": clf.metadata.get("data", {}).get("train"),
            "train_file": str(train_file), "train_sha256": file_sha256(train_file), "labels": list(clf.labels),
            "reading": "each sentence alone (no context)", "n": len(rows)}
    out.with_suffix(".meta.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m event_classifier.train.teacher", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default=".runs/teacher/checkpoint")
    ap.add_argument("--train-file", default="data/train.jsonl")
    ap.add_argument("--out", default="data/teacher/soft_labels.jsonl")
    args = ap.parse_args(argv)
    try:
        n = write_soft_labels(args.checkpoint, args.train_file, args.out)
    except DataError as exc:
        print(f"teacher: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {n} soft labels to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
