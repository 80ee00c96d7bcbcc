"""Own event types: the label set comes from a labels file and travels in the checkpoint."""

import json
import shutil
import subprocess
import sys

import pytest

from event_classifier.labels import SHIPPED, LabelSet, LabelSetError
from event_classifier.train.data import DataError, read_jsonl

FIVE = ("withdrawal", "transfer", "escape", "repatriation", "release")


@pytest.fixture()
def toy(root, tmp_path):
    """The five-label toy corpus (tests/data/five_labels) copied where a test may change it."""
    dst = tmp_path / "five_labels"
    shutil.copytree(root / "tests" / "data" / "five_labels", dst)
    return dst


def test_labels_file_is_read_in_order(toy):
    labels = LabelSet.from_file(toy / "labels.yaml")
    assert labels.names == FIVE
    assert labels.stems["release"] == "releas" and "amnesty" in labels.definitions["release"]


@pytest.mark.parametrize("text, message", [
    ("- withdrawal\n", "expected a mapping"),
    ("Withdrawal:\n  definition: x\n  stem: w\n", "must be lower case"),
    ("escape:\n  definition: x\n  stem: e\n  colour: red\n", "unknown key(s) ['colour']"),
    ("escape:\n  definition: ''\n  stem: e\n", "definition of ['escape'] must be a non-empty string"),
    ("escape: [1, 2]\n", "needs 'definition' and 'stem'"),
    ("escape:\n  definition: x\n  stem: e\n escape2: :\n", "not valid YAML"),
])
def test_bad_labels_file_names_the_file(tmp_path, text, message):
    path = tmp_path / "labels.yaml"
    path.write_text(text)
    with pytest.raises(LabelSetError) as err:
        LabelSet.from_file(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_data_rejects_a_label_outside_the_set(toy):
    rows = (toy / "train.jsonl").read_text().splitlines()
    rows[4] = json.dumps({"id": "bad", "text": "A truce took hold at noon.", "labels": ["ceasefire"]})
    (toy / "train.jsonl").write_text("\n".join(rows) + "\n")
    with pytest.raises(DataError) as err:
        read_jsonl(toy / "train.jsonl", LabelSet.from_file(toy / "labels.yaml").names)
    assert f"{toy / 'train.jsonl'}:5: unknown label(s) ['ceasefire']" in str(err.value)
    # and the shipped label set does not know `release`
    with pytest.raises(DataError, match=r"train.jsonl:17: unknown label\(s\) \['release'\]"):
        read_jsonl(toy / "train.jsonl")


def test_data_check_reports_a_label_with_no_examples(toy):
    from event_classifier.train.datacheck import check

    rows = [json.loads(l) for l in (toy / "dev.jsonl").read_text().splitlines()]
    (toy / "dev.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows if "release" not in r["labels"]))
    shutil.copy(toy / "dev.jsonl", toy / "test.jsonl")
    failures = check(toy, labels_file=toy / "labels.yaml")
    assert f"{toy / 'dev.jsonl'}: no examples of label(s) ['release'] (from the labels file)" in failures
    assert not any("train.jsonl: no examples" in f for f in failures)


def test_shipped_model_keeps_its_four_labels(root, shipped):
    from event_classifier import DEFINITIONS, LABELS, load

    assert LABELS == SHIPPED.names == LabelSet.from_file(root / "data" / "labels.yaml").names
    assert DEFINITIONS == dict(LabelSet.from_file(root / "data" / "labels.yaml").definitions)
    clf = load()
    assert clf.labels.names == LABELS and list(clf.thresholds) == list(LABELS)
    # the evaluation report's per-sentence predictions are still what predict() gives
    m = json.loads((root / "reports" / "metrics.json").read_text())
    test = read_jsonl(root / "data" / "test.jsonl")[:200]
    got = clf.predict([e.text for e in test], context=[e.context for e in test])
    assert [sorted(p.labels) for p in got] == [sorted(x) for x in m["test_predictions"][:200]]


@pytest.mark.slow
def test_five_label_checkpoint_trains_loads_predicts_and_exports(root, toy, tmp_path):
    from event_classifier import load
    from event_classifier.train.config import load_config
    from event_classifier.train.export import export
    from event_classifier.train.training import train

    # differs from the default (through the smoke overlay) only in the labels file and data paths
    cfg_file = tmp_path / "five.yaml"
    cfg_file.write_text(
        f"base: {root / 'configs' / 'smoke.yaml'}\n"
        f"labels_file: {toy / 'labels.yaml'}\ntrain_file: {toy / 'train.jsonl'}\ndev_file: {toy / 'dev.jsonl'}\n"
        f"output_dir: {tmp_path / 'ckpt' / 'checkpoint'}\nrun_dir: {tmp_path / 'run'}\n"
    )
    train(load_config(cfg_file))
    ckpt = tmp_path / "ckpt" / "checkpoint"
    meta = json.loads((ckpt / "event_classifier.json").read_text())
    assert meta["labels"] == list(FIVE) and set(meta["thresholds"]) == set(FIVE)
    assert meta["label_definitions"]["release"].startswith("people held in custody")

    clf = load(ckpt, backend="torch")
    pred = clf.predict("The kidnappers freed the two nurses on Sunday.")
    assert tuple(pred.scores) == FIVE and set(pred.labels) <= set(FIVE)

    r = subprocess.run([sys.executable, "-m", "event_classifier.cli", "predict", "--checkpoint", str(ckpt), "--backend", "torch",
                        "The kidnappers freed the two nurses on Sunday."], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert tuple(json.loads(r.stdout)["scores"]) == FIVE

    export(ckpt, tmp_path / "ckpt" / "onnx")
    onnx = load(tmp_path / "ckpt" / "onnx", backend="onnx", precision="fp32")
    got = onnx.predict("The kidnappers freed the two nurses on Sunday.")
    assert tuple(got.scores) == FIVE
    assert max(abs(got.scores[k] - pred.scores[k]) for k in FIVE) < 1e-3
    # the default load of the checkpoint folder finds its fresh ONNX sibling
    assert load(ckpt).backend == "onnx" and load(ckpt).labels.names == FIVE

    r = subprocess.run([sys.executable, "-m", "event_classifier.cli", "evaluate", "--data", str(toy / "dev.jsonl"),
                        "--checkpoint", str(ckpt), "--reports", str(tmp_path / "reports"), "--name", "toy"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    report = json.loads((tmp_path / "reports" / "toy.json").read_text())
    assert report["labels"] == list(FIVE) and "release" in report["readings"]["alone"]["per_label"]
