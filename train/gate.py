"""The CI gate: the shipped model must stay above floors and beat the TF-IDF baseline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
    label_floors = floors.get("test_label_f1") or {}
    unknown = set(label_floors) - set(metrics.get("labels") or test["per_label"])
    if unknown:
        failures.append(f"{gate_file}: floors for label(s) {sorted(unknown)} that the checkpoint does not have")
    for lab, floor in label_floors.items():
        if lab not in test["per_label"]:
            continue
        f1 = test["per_label"][lab]["f1"]
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
