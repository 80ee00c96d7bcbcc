import pytest

from event_classifier import predict_document
from event_classifier.document import split_sentences

ARTICLE = (
    'QAMISHLI, Syria (AP) — U.S. troops pulled out of a base near the Iraqi border on Sunday, officials said. '
    '"We are leaving," said Lt. Col. John Smith.\n\n'
    "About 300 detainees were handed to Iraq's Justice Ministry at the Rabia crossing. "
    "The central bank kept interest rates unchanged."
)


def test_offsets_give_sentences_back():
    spans = split_sentences(ARTICLE)
    sents = [ARTICLE[a:b] for a, b in spans]
    assert sents[0].startswith("QAMISHLI, Syria (AP) — U.S. troops") and sents[0].endswith("officials said.")
    assert sents[1] == '"We are leaving," said Lt. Col. John Smith.'
    assert len(sents) == 4


def test_predict_document(shipped):
    doc = predict_document(ARTICLE)
    assert [ARTICLE[s.start : s.end] for s in doc.sentences] == [s.text for s in doc.sentences]
    assert "withdrawal" in doc.sentences[0].prediction.labels
    assert "transfer" in doc.sentences[2].prediction.labels
    assert doc.sentences[3].prediction.labels == []
    assert set(doc.labels) >= {"withdrawal", "transfer"}
    assert doc.to_dict()["sentences"][0]["start"] == 0


def test_huge_document_is_split(shipped):
    text = "Troops left the base. " * 4600  # ~100,000 characters
    doc = predict_document(text)
    assert len(doc.sentences) == 4600
    assert all(text[s.start : s.end] == s.text for s in doc.sentences[:50])


def test_no_sentence_end_is_chunked(shipped):
    text = "word " * 3000
    doc = predict_document(text)
    assert len(doc.sentences) >= 7 and all(s.end - s.start <= 2000 for s in doc.sentences)


def test_bad_document_type():
    with pytest.raises(TypeError, match="NoneType"):
        predict_document(None)


def test_empty_document(shipped):
    assert predict_document("   ").sentences == []


def test_context_passed_only_when_wanted(shipped):
    from event_classifier import load

    clf = load()
    first, second = "Prisoners tunnelled out of the Kala jail overnight.", "Four of them were caught by noon."
    doc = predict_document(f"{first} {second}")
    alone = predict_document(f"{first} {second}", use_context=False)
    paired = clf.predict(second, context=first) if clf.context else clf.predict(second)
    assert doc.sentences[1].prediction.scores == paired.scores
    assert alone.sentences[1].prediction.scores == clf.predict(second).scores
    assert doc.sentences[0].prediction.scores == alone.sentences[0].prediction.scores  # the lede has no context


@pytest.mark.parametrize("text, want", [
    ("The 7th Div. crossed the river on Monday. Rain fell.", ["The 7th Div. crossed the river on Monday.", "Rain fell."]),
    ("Troops of the 3rd Bde. and the 2nd Bn. left Kherson. Rain fell.", ["Troops of the 3rd Bde. and the 2nd Bn. left Kherson.", "Rain fell."]),
    ("Lt. Col. Smith of the 82nd Abn. Div. left. Rain.", ["Lt. Col. Smith of the 82nd Abn. Div. left.", "Rain."]),
    ("He served in the 7th Div. He retired in 2010.", ["He served in the 7th Div.", "He retired in 2010."]),
])
def test_unit_abbreviations_do_not_end_sentences(text, want):
    assert [text[a:b] for a, b in split_sentences(text)] == want


@pytest.mark.parametrize("text, want", [
    ('"Why now?" he asked. Nobody answered.', ['"Why now?" he asked.', "Nobody answered."]),
    ("John F. Kennedy spoke. U.S. President Joe Biden and the U.N. Security Council met.",
     ["John F. Kennedy spoke.", "U.S. President Joe Biden and the U.N. Security Council met."]),
    ("They left on Jan. 5 at 3 p.m. Police said so.", ["They left on Jan. 5 at 3 p.m.", "Police said so."]),
    ('He said: "We are leaving." The convoy left.', ['He said: "We are leaving."', "The convoy left."]),
    ("Troops leave base\nDAMASCUS (Reuters) - Troops left.", ["Troops leave base", "DAMASCUS (Reuters) - Troops left."]),
    ("It cost $3.5 million... Then it ended!", ["It cost $3.5 million...", "Then it ended!"]),
])
def test_wire_copy_sentence_ends(text, want):
    assert [text[a:b] for a, b in split_sentences(text)] == want


def test_splitter_recovers_the_corpus_sentences(root):
    # corpus articles are stored a sentence per row: laid out as published copy is (headlines and
    # standfirsts, which have no full stop, on their own line), the splitter must find the rows
    import json
    import re

    docs: dict[str, list[str]] = {}
    for name in ("dev.jsonl", "test.jsonl"):
        for line in (root / "data" / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row.get("doc"):
                docs.setdefault(row["doc"], []).append(row["text"])

    def laid_out(sents: list[str]) -> str:
        text = sents[0]
        for prev, s in zip(sents, sents[1:]):
            text += (" " if re.search(r"[.!?][\"'”’)]?$", prev) else "\n") + s
        return text

    found = total = 0
    for sents in docs.values():
        text = laid_out(sents)
        got = {text[a:b] for a, b in split_sentences(text)}
        found += sum(s in got for s in sents)
        total += len(sents)
    assert found / total >= 0.98, (found, total)
