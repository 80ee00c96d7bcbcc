"""The committed report describes the shipped model, and the CI gate catches a broken one."""

import json

import numpy as np
import pytest

from event_classifier import LABELS, predict
from event_classifier.train.data import multi_hot, read_jsonl
from event_classifier.train.evaluate import bootstrap_f1, evaluate
from event_classifier.train.gate import check_gate
from event_classifier.train.metrics import multilabel_metrics


def test_metrics_json_matches_predict(root, shipped):
    metrics = json.loads((root / "reports" / "metrics.json").read_text())
    meta = json.loads((shipped / "event_classifier.json").read_text())
    assert metrics["checkpoint"]["checkpoint_id"] == meta["checkpoint_id"], "reports/ are stale: run `make evaluate`"
    rows = read_jsonl(root / "data" / "test.jsonl")
    preds = predict([r.text for r in rows], context=[r.context for r in rows])
    got = [p.labels for p in preds]
    assert [sorted(g) for g in got] == [sorted(x) for x in metrics["test_predictions"]]
    y = multi_hot(rows)
    yhat = np.array([[lab in p.labels for lab in LABELS] for p in preds], dtype=np.int64)
    m = multilabel_metrics(y, yhat)
    assert m["micro_f1"] == pytest.approx(metrics["splits"]["test"]["micro_f1"], abs=1e-9)
    for lab in LABELS:
        assert m["per_label"][lab]["f1"] == pytest.approx(metrics["splits"]["test"]["per_label"][lab]["f1"], abs=1e-9)


def test_shipped_model_passes_gate(root):
    metrics = json.loads((root / "reports" / "metrics.json").read_text())
    assert check_gate(metrics, root / "configs" / "gate.yaml") == []


def test_bootstrap_interval_contains_point_estimate():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, (300, 4))
    pred = np.where(rng.random((300, 4)) < 0.8, y, 1 - y)
    ci = bootstrap_f1(y, pred, n_boot=500)
    point = multilabel_metrics(y, pred)["micro_f1"]
    assert ci["micro_f1"][0] < point < ci["micro_f1"][1]


@pytest.mark.slow
def test_gate_fails_for_zeroed_classifier_head(root, ckpt_copy, tmp_path):
    import torch
    from safetensors.torch import load_file, save_file

    weights = load_file(ckpt_copy / "model.safetensors")
    for k in weights:
        if k.startswith("classifier."):
            weights[k] = torch.zeros_like(weights[k])
    save_file(weights, ckpt_copy / "model.safetensors", metadata={"format": "pt"})
    metrics = evaluate(ckpt_copy, root / "data", tmp_path / "metrics.json")
    assert metrics["default_backend"] == "torch-fp32"  # the broken copy has no ONNX export
    failures = check_gate(metrics, root / "configs" / "gate.yaml")
    assert any("micro-F1" in f for f in failures)
    assert any("does not beat the TF-IDF baseline" in f for f in failures)


def test_gate_subset_floor(tmp_path):
    gate = tmp_path / "gate.yaml"
    gate.write_text("test_micro_f1: 0.5\ntest_label_f1: {withdrawal: 0, transfer: 0, escape: 0, repatriation: 0}\n"
                    "test_subset_micro_f1: {needs_context: 0.7, article_sentences: 0.5}\n")
    per = {lab: {"f1": 0.9} for lab in LABELS}
    metrics = {"splits": {"test": {"micro_f1": 0.9, "macro_f1": 0.9, "per_label": per,
                                   "subsets": {"needs_context": {"micro_f1": 0.6}}}},
               "baselines": {"TF-IDF + logistic regression": {"micro_f1": 0.8, "macro_f1": 0.8}}}
    failures = check_gate(metrics, gate)
    assert any("'needs_context' 0.6000 < floor 0.7" in f for f in failures)
    assert any("subset 'article_sentences' is missing" in f for f in failures)
    metrics["splits"]["test"]["subsets"]["needs_context"]["micro_f1"] = 0.75
    metrics["splits"]["test"]["subsets"]["article_sentences"] = {"micro_f1": 0.8}
    assert check_gate(metrics, gate) == []
