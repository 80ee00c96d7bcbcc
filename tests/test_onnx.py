"""The default ONNX int8 path agrees with the torch fp32 reference on the test split."""

import numpy as np
import pytest

from event_classifier import load
from event_classifier.train.data import read_jsonl

pytestmark = pytest.mark.slow


def test_int8_parity_with_torch(root, shipped):
    rows = read_jsonl(root / "data" / "test.jsonl")
    texts = [e.text for e in rows]
    ref = load(shipped, backend="torch")
    int8 = load(backend="onnx", precision="int8")
    ctx = [e.context for e in rows] if ref.context else None  # article sentences as predict_document reads them
    p_ref, _ = ref.scores(texts, contexts=ctx)
    p_int8, _ = int8.scores(texts, contexts=ctx)
    thr = np.array(list(ref.thresholds.values()))
    agree = ((p_ref >= thr) == (p_int8 >= thr)).all(axis=1).mean()
    diff = np.abs(p_ref - p_int8).max()
    print(f"int8 vs torch: identical label sets on {agree:.2%} of {len(texts)} sentences, max score diff {diff:.4f}")
    # int8 kernels change between onnxruntime releases: 99.1% when the checkpoint was exported,
    # 98.7% with onnxruntime 1.31-1.32 (torch scores unchanged). The floor catches a broken export
    # (a wrong quantization or stale file falls far below), not release-to-release jitter.
    assert agree >= 0.98


def test_onnx_fp32_matches_torch(root, shipped):
    onnx_dir = shipped.parent / "onnx"
    if not (onnx_dir / "model.onnx").is_file():
        pytest.skip("fp32 ONNX is not committed; `make export` writes it")
    texts = [e.text for e in read_jsonl(root / "data" / "dev.jsonl")][:200]
    a = load(shipped, backend="torch").scores(texts)[0]
    b = load(backend="onnx", precision="fp32").scores(texts)[0]
    assert np.abs(a - b).max() < 1e-4


def test_export_cli_rejects_bad_fp32_layers(capsys):
    from event_classifier.train.export import main

    with pytest.raises(SystemExit) as exc:
        main(["--fp32-layers", "one,two"])
    assert exc.value.code == 2
    assert "--fp32-layers must be comma-separated layer numbers, got 'one,two'" in capsys.readouterr().err
