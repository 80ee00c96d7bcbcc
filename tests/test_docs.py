"""The `>>>` examples in the public docstrings run and give what they show."""

import doctest

import pytest

import event_classifier
from event_classifier import document, inference, sentences


@pytest.mark.parametrize("module", [event_classifier, inference, document, sentences], ids=lambda m: m.__name__)
def test_docstring_examples(shipped, module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_one_wording_per_label_definition(root):
    from event_classifier import DEFINITIONS
    from event_classifier.train.report import labels_table

    readme = (root / "README.md").read_text(encoding="utf-8")
    assert labels_table() in readme  # the README table is generated from DEFINITIONS
    card = (root / "model" / "checkpoint" / "README.md").read_text(encoding="utf-8")
    for definition in DEFINITIONS.values():
        assert definition in card


def test_corpus_described_the_same_way_everywhere(root):
    texts = {p: (root / p).read_text(encoding="utf-8") for p in ("README.md", "model/checkpoint/README.md", "data/README.md")}
    for path, text in texts.items():
        assert "hand-written" not in text.lower() and "handwritten" not in text.lower(), path
    for path in ("README.md", "model/checkpoint/README.md"):
        assert "AI writing assistants" in texts[path], path


def test_readme_archive_figures_are_generated_from_the_bench(root):
    from event_classifier.train.bench import _load_json, archive_block

    readme = (root / "README.md").read_text(encoding="utf-8")
    block = archive_block(_load_json(root / "reports" / "bench.json"), _load_json(root / "reports" / "memory.json"))
    assert block in readme
