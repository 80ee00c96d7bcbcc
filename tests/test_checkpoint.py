"""The shipped checkpoint's format, and clear errors for broken ones."""

import json
import os

import pytest

from event_classifier import CheckpointError, EventClassifier
from event_classifier.artifacts import METADATA_FILE, validate_checkpoint


def test_shipped_checkpoint_is_standard_hf_folder(shipped):
    from safetensors import safe_open
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(shipped)
    assert model.config.id2label == {0: "withdrawal", 1: "transfer", 2: "escape", 3: "repatriation"}
    with safe_open(shipped / "model.safetensors", "pt") as f:
        assert {str(f.get_tensor(k).dtype) for k in f.keys()} == {"torch.float16"}
    meta = json.loads((shipped / METADATA_FILE).read_text())
    for key in ("thresholds", "train_config", "data", "dev_metrics", "package_version", "checkpoint_id"):
        assert key in meta
    assert (shipped.parent / "onnx" / METADATA_FILE).is_file()
    onnx_meta = json.loads((shipped.parent / "onnx" / METADATA_FILE).read_text())
    assert onnx_meta["checkpoint_id"] == meta["checkpoint_id"], "model/onnx is stale: run `make export`"


def test_missing_folder(tmp_path):
    with pytest.raises(CheckpointError, match="checkpoint folder not found"):
        EventClassifier(tmp_path / "nothing", backend="torch")


def test_truncated_safetensors(ckpt_copy):
    path = ckpt_copy / "model.safetensors"
    with open(path, "r+b") as fh:
        fh.truncate(os.path.getsize(path) // 2)
    with pytest.raises(CheckpointError, match=r"model\.safetensors: truncated"):
        EventClassifier(ckpt_copy, backend="torch")


def test_garbage_safetensors(ckpt_copy):
    (ckpt_copy / "model.safetensors").write_bytes(b"\x00" * 4)
    with pytest.raises(CheckpointError, match="truncated"):
        validate_checkpoint(ckpt_copy)


def test_missing_config(ckpt_copy):
    (ckpt_copy / "config.json").unlink()
    with pytest.raises(CheckpointError, match=r"config\.json: file is missing"):
        EventClassifier(ckpt_copy, backend="torch")


def test_wrong_label_count(ckpt_copy):
    cfg = json.loads((ckpt_copy / "config.json").read_text())
    cfg["id2label"] = {"0": "a", "1": "b"}
    (ckpt_copy / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="wrong label count: 2 labels, expected 4"):
        EventClassifier(ckpt_copy, backend="torch")


def test_missing_thresholds(ckpt_copy):
    meta = json.loads((ckpt_copy / METADATA_FILE).read_text())
    del meta["thresholds"]["escape"]
    (ckpt_copy / METADATA_FILE).write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match=r"no threshold for \['escape'\]"):
        validate_checkpoint(ckpt_copy)


def test_corrupt_onnx(tmp_path, shipped):
    import shutil

    onnx_dir = tmp_path / "onnx"
    shutil.copytree(shipped.parent / "onnx", onnx_dir, ignore=shutil.ignore_patterns("model.onnx"))
    (onnx_dir / "model.int8.onnx").write_bytes(b"not an onnx model" * 100)
    with pytest.raises(CheckpointError, match="cannot load ONNX model"):
        EventClassifier(onnx_dir, backend="onnx")
