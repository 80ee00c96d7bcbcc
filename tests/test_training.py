"""The smoke training run: same code as `make train`, seconds on CPU."""

import json
import shutil

import pytest

from event_classifier.train.config import load_config
from event_classifier.train.data import DataError
from event_classifier.train.training import train

from conftest import write_jsonl

pytestmark = pytest.mark.slow


def smoke_cfg(root, tmp_path, **kw):
    paths = {
        "train_file": str(root / "data" / "train.jsonl"),
        "dev_file": str(root / "data" / "dev.jsonl"),
        "output_dir": str(tmp_path / "checkpoint"),
        "run_dir": str(tmp_path / "run"),
    }
    return load_config(root / "configs" / "smoke.yaml", **{**paths, **kw})


def test_smoke_train_writes_loadable_checkpoint_and_is_deterministic(root, tmp_path):
    from transformers import AutoModelForSequenceClassification

    from event_classifier import load

    first = train(smoke_cfg(root, tmp_path / "a"))
    second = train(smoke_cfg(root, tmp_path / "b"))
    # same seed, same data -> same metrics
    assert first["dev_micro_f1_tuned"] == second["dev_micro_f1_tuned"]
    assert first["thresholds"] == second["thresholds"]

    ckpt = tmp_path / "a" / "checkpoint"
    meta = json.loads((ckpt / "event_classifier.json").read_text())
    assert meta["train_config"]["max_train_samples"] == 64
    assert len(meta["data"]["train"]["sha256"]) == 64
    model = AutoModelForSequenceClassification.from_pretrained(ckpt)
    assert model.config.num_labels == 4
    clf = load(ckpt, backend="torch")
    assert clf.predict("Rebels left the town.").scores.keys() == {"withdrawal", "transfer", "escape", "repatriation"}
    assert not list((tmp_path / "a").glob(".checkpoint.tmp-*"))


def test_resume_continues_from_trainer_checkpoint(root, tmp_path):
    cfg = smoke_cfg(root, tmp_path)
    train(cfg)
    run_ckpts = sorted((tmp_path / "run").glob("checkpoint-*"))
    assert run_ckpts, "Trainer checkpoints are kept in run_dir for resuming"
    # simulate an interruption after epoch 1: drop the later Trainer checkpoints and the output
    for extra in run_ckpts[1:]:
        shutil.rmtree(extra)
    shutil.rmtree(cfg.output_dir)
    summary = train(cfg, resume=True)
    assert (tmp_path / "checkpoint" / "model.safetensors").is_file()
    assert summary["epochs_run"] == cfg.num_epochs


def test_train_refuses_invalid_data_and_keeps_old_checkpoint(root, tmp_path):
    bad = write_jsonl(tmp_path / "train.jsonl", [{"id": "1", "text": "ok", "labels": []}, "{broken"])
    out = tmp_path / "checkpoint"
    out.mkdir()
    (out / "marker").write_text("old")
    with pytest.raises(DataError, match=r"train\.jsonl:2: malformed JSON"):
        train(smoke_cfg(root, tmp_path, train_file=str(bad)))
    assert (out / "marker").read_text() == "old"
    with pytest.raises(DataError, match="file not found"):
        train(smoke_cfg(root, tmp_path, dev_file=str(tmp_path / "missing.jsonl")))


def test_context_mode_trains_on_text_pairs(root, tmp_path):
    """context: true feeds the previous sentence as a text pair; predict_document passes it."""
    from event_classifier import load, predict_document

    rows = [
        {"id": "1", "text": "Only a handful of guards were left at the compound by nightfall.", "labels": ["withdrawal"],
         "context": "The militia began pulling its fighters out of the town on Sunday."},
        {"id": "2", "text": "Rain fell on the capital.", "labels": [], "context": None},
        {"id": "3", "text": "Two inmates broke out of the jail.", "labels": ["escape"]},
        {"id": "4", "text": "Most of them were gone by morning.", "labels": ["escape"],
         "context": "Prisoners tunnelled under the wall overnight."},
    ] * 4
    rows = [{**r, "id": f"{r['id']}-{i}"} for i, r in enumerate(rows)]
    train_f = write_jsonl(tmp_path / "train.jsonl", rows)
    cfg = smoke_cfg(root, tmp_path, train_file=str(train_f), dev_file=str(train_f), context=True)
    train(cfg)
    clf = load(cfg.output_dir, backend="torch")
    assert clf.context
    doc = predict_document("The militia left the town. Only a handful of guards were left.", classifier=clf)
    assert len(doc.sentences) == 2
    with_ctx = clf.predict("Only a handful of guards were left.", context="The militia left the town.").scores
    without = clf.predict("Only a handful of guards were left.").scores
    assert with_ctx != without  # the pair changes the input the model sees


def test_encoder_layers_trains_a_shallower_student(root, tmp_path):
    """encoder_layers keeps the first N layers; the checkpoint records the depth, so load() follows."""
    from event_classifier import load

    cfg = smoke_cfg(root, tmp_path, encoder_layers=2, num_epochs=1)
    train(cfg)
    clf = load(cfg.output_dir, backend="torch")
    assert clf._impl.model.config.num_hidden_layers == 2
    assert set(clf.predict("Rebels left the town.").scores) == {"withdrawal", "transfer", "escape", "repatriation"}
    with pytest.raises(ValueError, match="encoder_layers is 9 but the base model has 6 layers"):
        train(smoke_cfg(root, tmp_path / "deep", encoder_layers=9))
