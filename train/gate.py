"""The CI gate: the shipped model must stay above floors and beat the TF-IDF baseline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from event_classifier.labels import LABELS

TFIDF = "TF-IDF + logistic regression"


def check_gate(metrics: dict[str, Any], gate_file: str | Path) -> list[str]:
    import yaml

    floors = yaml.safe_load(Path(gate_file).read_text(encoding="utf-8")) or {}
    unknown = set(floors) - {"test_micro_f1", "test_label_f1", "test_subset_micro_f1"}
    if unknown:
        return [f"{gate_file}: unknown key(s) {sorted(unknown)}"]
    test = metrics["splits"]["test"]
    failures = []
    if test["micro_f1"] < floors["test_micro_f1"]:
        failures.append(f"test micro-F1 {test['micro_f1']:.4f} < floor {floors['test_micro_f1']}")
    for lab in LABELS:
        f1, floor = test["per_label"][lab]["f1"], floors["test_label_f1"][lab]
        if f1 < floor:
            failures.append(f"test F1 of '{lab}' {f1:.4f} < floor {floor}")
    # subsets (e.g. sentences that need their neighbour) guard context mode
    for name, floor in (floors.get("test_subset_micro_f1") or {}).items():
        sub = test.get("subsets", {}).get(name)
        if sub is None:
            failures.append(f"test subset '{name}' is missing from metrics.json")
        elif sub["micro_f1"] < floor:
            failures.append(f"test micro-F1 on '{name}' {sub['micro_f1']:.4f} < floor {floor}")
    base = metrics["baselines"][TFIDF]
    for avg in ("micro_f1", "macro_f1"):
        if test[avg] <= base[avg]:
            failures.append(f"model {avg} {test[avg]:.4f} does not beat the TF-IDF baseline ({base[avg]:.4f})")
    return failures
