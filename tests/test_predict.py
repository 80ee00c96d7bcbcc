"""predict() on the shipped checkpoint: API, bad input, robustness, invariance, threads."""

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from event_classifier import LABELS, Prediction, load, predict

SENTENCES = [
    "U.N. peacekeepers left the last base in the north on Sunday.",
    "Dozens of inmates broke out of the central prison in Port-au-Prince overnight, police said.",
    "The central bank raised interest rates by half a point on Thursday.",
    "Some 300 detainees were handed over to Iraqi authorities at the Rabia crossing.",
    "A chartered plane flew 120 Kazakh women and children home from north-east Syria.",
]


def test_single_and_list(shipped):
    p = predict(SENTENCES[0])
    assert isinstance(p, Prediction)
    assert p.text == SENTENCES[0]
    assert set(p.scores) == set(LABELS)
    assert p.labels == sorted(p.labels, key=lambda k: -p.scores[k])
    out = predict(SENTENCES, batch_size=2)
    assert [r.text for r in out] == SENTENCES


def test_sensible_labels(shipped):
    got = [p.labels for p in predict(SENTENCES)]
    assert "withdrawal" in got[0]
    assert "escape" in got[1]
    assert got[2] == []
    assert "transfer" in got[3]
    assert "repatriation" in got[4]


def test_threshold_override(shipped):
    assert predict(SENTENCES[2], threshold=0.0).labels != []
    top = predict(SENTENCES[0])
    assert predict(SENTENCES[0], threshold=1.0).labels == [lab for lab in top.labels if top.scores[lab] >= 1.0]
    assert predict(SENTENCES[0], threshold={"withdrawal": 1.0}).labels == [
        lab for lab in top.labels if lab != "withdrawal" or top.scores[lab] >= 1.0
    ]
    with pytest.raises(ValueError, match="unknown labels"):
        predict(SENTENCES[0], threshold={"retreat": 0.5})


@pytest.mark.parametrize("bad, message", [(None, "NoneType"), (3, "int"), (b"bytes", "bytes"), ({"text": "x"}, "dict"), (4.5, "float")])
def test_bad_types_raise_type_error(bad, message):
    with pytest.raises(TypeError, match=message):
        predict(bad)


def test_any_iterable_of_str(shipped):
    import numpy as np
    import pandas as pd

    want = [p.labels for p in predict(SENTENCES[:2])]
    for texts in (tuple(SENTENCES[:2]), np.array(SENTENCES[:2]), pd.Series(SENTENCES[:2]), (t for t in SENTENCES[:2])):
        got = predict(texts)
        assert [p.labels for p in got] == want, type(texts)
        assert all(type(p.text) is str for p in got)


def test_str_context_for_a_list_is_a_type_error(shipped):
    with pytest.raises(TypeError, match="context is a str but texts is a list"):
        predict(["a", "b"], context="prev")


def test_bad_item_in_list_names_index():
    with pytest.raises(TypeError, match=r"texts\[2\] is int"):
        predict(["a", "b", 7])


def test_empty_and_whitespace_give_no_labels(shipped):
    out = predict(["", "   \n\t", SENTENCES[0]])
    assert out[0].labels == [] and out[1].labels == []
    assert all(v == 0.0 for v in out[0].scores.values())
    assert "withdrawal" in out[2].labels


def test_long_inputs_are_truncated_not_fatal(shipped):
    long_sentence = " ".join(["soldiers"] * 2000)
    huge = ("Troops left the base. " * 5000)[:100_000]
    out = predict([long_sentence, huge, "short"])
    assert out[0].truncated and out[1].truncated and not out[2].truncated


@pytest.mark.parametrize(
    "text",
    [
        "Les troupes françaises ont quitté la base de Gao.",
        "القوات الأمريكية انسحبت من القاعدة",
        "🚁🚁 troops 👋 leaving base",
        "control\x00chars\x07\x1b[31m here",
        "<p>Rebels <b>pulled out</b> of the&nbsp;town</p>",
        "Войска покинули город. 军队撤离了基地。",
    ],
)
def test_odd_text_does_not_crash(shipped, text):
    p = predict(text)
    assert all(0.0 <= v <= 1.0 for v in p.scores.values())


def test_batch_invariance(shipped):
    clf = load()
    alone = np.array([clf.scores([s])[0][0] for s in SENTENCES])
    for bs in (1, 2, 3, 64):
        together = clf.scores(SENTENCES + ["filler sentence " * 20], batch_size=bs)[0][: len(SENTENCES)]
        assert np.abs(alone - together).max() < 1e-4


def test_thread_safety(shipped):
    serial = [p.scores for p in predict(SENTENCES * 4)]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: [p.scores for p in predict(SENTENCES * 4)], range(8)))
    for r in results:
        for a, b in zip(r, serial):
            assert max(abs(a[k] - b[k]) for k in LABELS) < 1e-4


def test_default_path_does_not_import_torch(shipped):
    code = (
        "import sys, event_classifier as ec; ec.predict('Rebels left the town.');"
        "bad=[m for m in ('torch','transformers','datasets','sklearn') if m in sys.modules];"
        "print(ec.load().backend, bad); sys.exit(1 if bad else 0)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("onnx")


def test_import_is_light():
    code = "import sys, event_classifier; print([m for m in ('torch','transformers','datasets','sklearn','onnxruntime') if m in sys.modules])"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.strip() == "[]", r.stdout + r.stderr


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(max_size=200), max_size=6))
def test_predict_property(shipped, texts):
    out = predict(texts, batch_size=3)
    assert [p.text for p in out] == texts
    for p in out:
        assert set(p.scores) == set(LABELS)
        assert all(0.0 <= v <= 1.0 for v in p.scores.values())
        assert set(p.labels) <= set(LABELS)
        if not p.text.strip():
            assert p.labels == []
