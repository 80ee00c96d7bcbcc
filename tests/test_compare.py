"""`make ablation` compares checkpoints on dev by subset."""

from event_classifier.train.compare import compare, to_markdown

from conftest import write_jsonl

ROWS = [
    {"id": "s1", "text": "Two inmates broke out of the jail on Sunday.", "labels": ["escape"]},
    {"id": "s2", "text": "Rain is expected in the capital.", "labels": []},
    {"id": "a1", "text": "Prisoners tunnelled under the wall of Kala jail overnight.", "labels": ["escape"], "doc": "d"},
    {"id": "a2", "text": "Four of them were caught by noon.", "labels": ["escape"], "doc": "d", "needs_context": True,
     "context": "Prisoners tunnelled under the wall of Kala jail overnight."},
]


def test_compare_reports_each_subset(shipped, tmp_path):
    dev = write_jsonl(tmp_path / "dev.jsonl", ROWS)
    result = compare({"shipped": str(shipped)}, dev)
    run = result["runs"]["shipped"]
    assert result["n"] == 4
    assert {k: v["n"] for k, v in run["subsets"].items()} == {"sentences": 2, "article_sentences": 2, "needs_context": 1}
    md = to_markdown(result)
    assert "| shipped |" in md and "needs_context micro F1 (n=1)" in md


def test_paired_difference_sign_and_interval():
    import numpy as np

    from event_classifier.train.compare import paired_difference

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, (200, 4))
    noisy = np.where(rng.random((200, 4)) < 0.8, y, 1 - y)
    same = paired_difference(y, noisy, noisy)
    assert same["difference"] == 0 and same["ci95"] == [0.0, 0.0]
    better = paired_difference(y, noisy, y)
    assert better["difference"] > 0 and 0 < better["ci95"][0] <= better["difference"] <= better["ci95"][1]


def test_label_echo_rows(tmp_path):
    from event_classifier.train.data import read_jsonl
    from event_classifier.train.evaluate import echo_rows

    rows = [
        {"id": "1", "text": "Troops left Kolo.", "labels": ["withdrawal"], "doc": "d"},
        {"id": "2", "text": "Rain fell.", "labels": [], "doc": "d", "context": "Troops left Kolo."},
        {"id": "3", "text": "Wind rose.", "labels": [], "doc": "d", "context": "Rain fell."},
        {"id": "4", "text": "Markets opened.", "labels": []},
    ]
    assert echo_rows(read_jsonl(write_jsonl(tmp_path / "d.jsonl", rows))) == [1]
