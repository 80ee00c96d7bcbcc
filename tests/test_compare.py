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
