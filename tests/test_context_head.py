"""The context head (`context: head`): file format, the one-encoding-per-sentence promise, training."""

import json

import numpy as np
import pytest

from event_classifier.artifacts import CheckpointError
from event_classifier.context_head import HEAD_FILE, ContextHead, features

from conftest import write_jsonl


def test_passthrough_head_returns_the_alone_logits(tmp_path):
    logits, prev = np.array([[1.0, -2.0, 0.5, 3.0]]), np.array([[9.0, 9.0, 9.0, 9.0]])
    emb = np.ones((1, 6)) / np.sqrt(6)
    head = ContextHead.passthrough(4, 6)
    np.testing.assert_allclose(head.logits(features(logits, emb, prev, emb)), logits, atol=1e-6)
    head.save(tmp_path)
    again = ContextHead.from_folder(tmp_path, 4)
    np.testing.assert_array_equal(again.weight, head.weight)


def test_missing_or_misshapen_head_is_a_checkpoint_error(tmp_path):
    with pytest.raises(CheckpointError, match=f"{HEAD_FILE}: file is missing"):
        ContextHead.from_folder(tmp_path, 4)
    ContextHead.passthrough(3, 6).save(tmp_path)
    with pytest.raises(CheckpointError, match="does not fit 4 labels"):
        ContextHead.from_folder(tmp_path, 4)
    (tmp_path / HEAD_FILE).write_bytes(b"not a zip")
    with pytest.raises(CheckpointError, match="cannot read the context head"):
        ContextHead.from_folder(tmp_path, 4)


def test_shipped_head_model_encodes_each_article_sentence_once():
    """Why the head exists (issue 14): predict_document runs the encoder once per sentence."""
    from event_classifier import load, predict_document

    clf = load()
    if clf.context_mode != "head":
        pytest.skip("the shipped checkpoint reads context as text pairs")
    seen = []
    forward = clf._impl.forward

    def counting(ids, mask, types):
        seen.append(len(ids))
        return forward(ids, mask, types)

    clf._impl.forward = counting
    try:
        doc = predict_document("Troops left the base on Sunday. The handover took two hours. Rain fell. Rain fell.", classifier=clf)
    finally:
        clf._impl.forward = forward
    assert len(doc.sentences) == 4
    assert sum(seen) == 3  # three distinct sentences, each encoded once, none as a pair
    # the same scores as predict() with each sentence's predecessor as context
    texts = [s.text for s in doc.sentences]
    direct = clf.predict(texts, context=[None] + texts[:-1])
    assert [s.prediction.scores for s in doc.sentences] == [p.scores for p in direct]


def test_head_without_article_rows_is_refused_before_training(root, tmp_path):
    from event_classifier.train.config import load_config
    from event_classifier.train.training import train

    rows = write_jsonl(tmp_path / "train.jsonl", [{"id": str(i), "text": f"Sentence {i}.", "labels": []} for i in range(4)])
    cfg = load_config(root / "configs" / "smoke.yaml", train_file=str(rows), context="head",
                      output_dir=str(tmp_path / "ck"), run_dir=str(tmp_path / "run"))
    with pytest.raises(ValueError, match=r"train\.jsonl: context: head needs training rows with a 'context'"):
        train(cfg)


@pytest.mark.slow
def test_head_training_export_and_onnx_parity(root, tmp_path):
    from event_classifier import load
    from event_classifier.train.config import load_config
    from event_classifier.train.export import export
    from event_classifier.train.training import train

    def mix(name, n):
        rows = [json.loads(line) for line in (root / "data" / name).read_text().splitlines()]
        return write_jsonl(tmp_path / name, [r for r in rows if not r.get("context")][:n] + [r for r in rows if r.get("context")][:n])

    cfg = load_config(root / "configs" / "smoke.yaml", train_file=str(mix("train.jsonl", 48)), dev_file=str(mix("dev.jsonl", 24)),
                      context="head", max_train_samples=None, max_dev_samples=None,
                      output_dir=str(tmp_path / "checkpoint"), run_dir=str(tmp_path / "run"))
    summary = train(cfg)
    meta = json.loads((tmp_path / "checkpoint" / "event_classifier.json").read_text())
    assert meta["context"] == "head" and meta["context_head"]["train_rows"] == 48
    assert 0.0 <= summary["dev_in_article_micro_f1"] <= 1.0
    export(tmp_path / "checkpoint", tmp_path / "onnx")
    assert (tmp_path / "onnx" / HEAD_FILE).is_file()
    torch_clf, onnx_clf = load(tmp_path / "checkpoint", backend="torch"), load(tmp_path / "onnx", backend="onnx", precision="fp32")
    assert torch_clf.context_mode == onnx_clf.context_mode == "head"
    texts = ["The handover took place at the border on Friday.", "Rain fell.", "Two inmates broke out."]
    contexts = ["Some 300 detainees were moved to Iraqi prisons.", None, ""]
    a, b = torch_clf.scores(texts, contexts=contexts)[0], onnx_clf.scores(texts, contexts=contexts)[0]
    np.testing.assert_allclose(a, b, atol=1e-3)
    # no context (None or empty) = the alone reading
    np.testing.assert_allclose(a[1:], torch_clf.scores(texts[1:])[0], atol=1e-6)
    assert not np.allclose(a[0], torch_clf.scores(texts[:1])[0])  # the head changes the first
    from event_classifier.inference import EventClassifier

    (tmp_path / "onnx" / HEAD_FILE).unlink()
    with pytest.raises(CheckpointError, match="file is missing"):
        EventClassifier(tmp_path / "onnx", backend="onnx", precision="fp32")


def test_article_margin_is_tuned_to_drop_weak_false_alarms():
    from event_classifier.train.context_head import tune_article_margin

    # article a: a real escape (0.9) and a weak false alarm for withdrawal (0.55); article b: a
    # real withdrawal at 0.7. Margins of 0.1 to 0.2 keep both events and drop the false alarm.
    docs = ["a", "a", "b"]
    probs = np.array([[0.0, 0.0, 0.9, 0.0], [0.55, 0.0, 0.1, 0.0], [0.7, 0.0, 0.0, 0.0]])
    y = np.array([[0, 0, 1, 0], [0, 0, 0, 0], [1, 0, 0, 0]])
    assert tune_article_margin(docs, probs, y, [0.5] * 4) == pytest.approx(0.1)  # the smallest margin that works
    assert tune_article_margin(docs, probs, np.array([[0, 0, 1, 0], [1, 0, 0, 0], [1, 0, 0, 0]]), [0.5] * 4) == 0.0


def test_article_labels_use_the_article_thresholds(shipped):
    from event_classifier import predict_document
    from event_classifier.inference import EventClassifier

    clf = EventClassifier()  # a private instance: the cached one is shared by other tests
    text = "Dozens of inmates broke out of the central prison overnight. Rain fell."
    assert predict_document(text, classifier=clf).labels == ["escape"]
    clf.article_thresholds = dict.fromkeys(clf.labels, 0.999)
    doc = predict_document(text, classifier=clf)
    assert doc.sentences[0].prediction.labels == ["escape"] and doc.labels == []
    # an explicit threshold decides both readings
    assert predict_document(text, classifier=clf, threshold=0.5).labels == ["escape"]


def test_bad_unicode_in_a_context_is_named_by_its_own_index(shipped):
    from event_classifier import predict

    with pytest.warns(UnicodeWarning, match=r"context\[1\]"):
        out = predict(["Troops left.", "The move ended."], context=[None, "Troops left \udc80 the base."])
    assert len(out) == 2
