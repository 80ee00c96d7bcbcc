"""`event-classifier evaluate --data`: any labelled JSONL, three readings when rows carry `doc`."""

import json
import subprocess
import sys

import numpy as np
import pytest

from event_classifier import predict, predict_document
from event_classifier.train.data import DataError, read_soft_labels, to_dataset, read_jsonl
from event_classifier.train.evaluate import bootstrap_f1
from event_classifier.train.evaluate_file import evaluate_file, read_labelled

from conftest import write_jsonl

# written for this test; two short articles and one stand-alone sentence
ROWS = [
    {"id": "x-s1", "doc": "x", "text": "Rebel fighters pulled out of the hill town of Kesra on Monday.", "labels": ["withdrawal"], "alone_labels": ["withdrawal"]},
    {"id": "x-s2", "doc": "x", "text": "Their departure left the market deserted by nightfall.", "labels": ["withdrawal"], "alone_labels": []},
    {"id": "x-s3", "doc": "x", "text": "Rain is expected later in the week.", "labels": [], "alone_labels": []},
    {"id": "y-s1", "doc": "y", "text": "Eight inmates broke out of the district jail overnight.", "labels": ["escape"], "alone_labels": ["escape"]},
    {"id": "y-s2", "doc": "y", "text": "Police caught three of them near the river by noon.", "labels": ["escape"], "alone_labels": []},
    {"id": "z", "text": "The bank said customers could withdraw cash again.", "labels": []},
]


def test_three_readings_match_predict(tmp_path):
    m = evaluate_file(write_jsonl(tmp_path / "sample.jsonl", ROWS))
    alone = m["readings"]["alone"]
    assert alone["gold"] == "alone_labels" and alone["n"] == len(ROWS)
    # recompute the alone figure from predict() itself
    got = [p.labels for p in predict([r["text"] for r in ROWS])]
    gold = [r.get("alone_labels", r["labels"]) for r in ROWS]
    exact = np.mean([set(g) == set(p) for g, p in zip(gold, got)])
    assert alone["exact_match"] == pytest.approx(exact)
    art = m["readings"]["article"]
    assert art["n"] == 2
    doc_x = predict_document(" ".join(r["text"] for r in ROWS[:3])).labels
    doc_y = predict_document(" ".join(r["text"] for r in ROWS[3:5])).labels
    assert art["exact_match"] == pytest.approx(np.mean([doc_x == ["withdrawal"], doc_y == ["escape"]]))
    assert m["readings"]["context"]["bootstrap"]["unit"] == "article"
    dump = json.dumps(m)
    assert not any(r["text"] in dump for r in ROWS)  # figures only, never the sentences


def test_bad_lines_are_named(tmp_path):
    bad = write_jsonl(tmp_path / "bad.jsonl", [ROWS[0], {"text": "x", "labels": ["coup"]}, "{oops", {"labels": []}])
    with pytest.raises(DataError) as err:
        read_labelled(bad)
    msg = str(err.value)
    assert "bad.jsonl:2: unknown label(s) ['coup']" in msg
    assert "bad.jsonl:3: malformed JSON" in msg
    assert "bad.jsonl:4: 'text' must be a non-empty string" in msg


def test_split_article_is_refused(tmp_path):
    rows = [ROWS[0], ROWS[5], dict(ROWS[1])]
    with pytest.raises(DataError, match="resumes after other rows"):
        read_labelled(write_jsonl(tmp_path / "split.jsonl", rows))


def test_cli_writes_reports_and_exits_2_on_bad_file(tmp_path):
    data = write_jsonl(tmp_path / "mine.jsonl", ROWS)
    run = subprocess.run([sys.executable, "-m", "event_classifier.cli", "evaluate", "--data", str(data), "--name", "mine",
                          "--reports", str(tmp_path / "r")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "r" / "mine.json").is_file() and "| with the previous sentence" in (tmp_path / "r" / "mine.md").read_text()
    bad = write_jsonl(tmp_path / "bad.jsonl", ["{oops"])
    run = subprocess.run([sys.executable, "-m", "event_classifier.cli", "evaluate", "--data", str(bad)], capture_output=True, text=True)
    assert run.returncode == 2 and "bad.jsonl:1: malformed JSON" in run.stderr and "Traceback" not in run.stderr


def test_article_bootstrap_is_wider_than_row_bootstrap():
    rng = np.random.default_rng(0)
    # 20 articles of 10 rows; whole articles right or wrong, so rows inside one are correlated
    y = rng.integers(0, 2, size=(200, 4))
    good = np.repeat(rng.random(20) < 0.7, 10)
    pred = np.where(good[:, None], y, 1 - y)
    groups = [i // 10 for i in range(200)]
    rows, arts = bootstrap_f1(y, pred)["micro_f1"], bootstrap_f1(y, pred, groups=groups)["micro_f1"]
    assert arts[1] - arts[0] > rows[1] - rows[0]


def test_soft_labels_mix_into_targets(tmp_path):
    train = read_jsonl(write_jsonl(tmp_path / "t.jsonl", [{"id": "a", "text": "Troops left.", "labels": ["withdrawal"]},
                                                         {"id": "b", "text": "Rain fell.", "labels": []}]))
    soft = read_soft_labels(write_jsonl(tmp_path / "s.jsonl", [{"id": "a", "scores": [0.6, 0.2, 0.0, 0.0]}]))
    ds = to_dataset(train, soft, alpha=0.5)
    assert ds["labels"][0] == pytest.approx([0.8, 0.1, 0.0, 0.0])
    assert ds["labels"][1] == [0.0, 0.0, 0.0, 0.0]  # not scored by the teacher: gold
    with pytest.raises(DataError, match="s2.jsonl:1"):
        read_soft_labels(write_jsonl(tmp_path / "s2.jsonl", [{"id": "a", "scores": [2, 0, 0, 0]}]))
