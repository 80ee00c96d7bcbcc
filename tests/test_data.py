import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from event_classifier.train.data import DataError, read_jsonl
from event_classifier.train.datacheck import Requirements, check, check_articles, near_duplicates

from conftest import write_jsonl

GOOD = {"id": "a", "text": "Troops left the base.", "labels": ["withdrawal"]}


def test_valid_file(tmp_path):
    rows = read_jsonl(write_jsonl(tmp_path / "x.jsonl", [GOOD, {"id": "b", "text": "Rain.", "labels": []}]))
    assert [r.id for r in rows] == ["a", "b"]
    assert rows[0].labels == ("withdrawal",)


@pytest.mark.parametrize(
    "bad, message",
    [
        ('{"id": "b", "text": "x", "labels": [}', "malformed JSON"),
        ({"id": "b", "text": "x"}, "missing key 'labels'"),
        ({"id": "b", "text": "x", "labels": ["retreat"]}, "unknown label"),
        ({"id": "b", "text": "   ", "labels": []}, "'text' must be a non-empty string"),
        ({"id": "b", "text": "x", "labels": "escape"}, "'labels' must be a list"),
        ({"id": "a", "text": "x", "labels": []}, "duplicate id 'a'"),
        ('["not", "an", "object"]', "expected a JSON object"),
        ({"id": "b", "text": "x", "labels": [], "needs_context": "yes"}, "'needs_context' must be true or false"),
        ({"id": "b", "text": "x", "labels": [], "doc": 7}, "'doc' must be a non-empty string"),
        ({"id": "b", "text": "x", "labels": [], "source": "AP"}, "unknown key(s) ['source']"),
    ],
)
def test_bad_line_names_file_and_line(tmp_path, bad, message):
    path = write_jsonl(tmp_path / "x.jsonl", [GOOD, bad])
    with pytest.raises(DataError) as exc:
        read_jsonl(path)
    assert f"{path}:2:" in str(exc.value)
    assert message in str(exc.value)


def test_every_bad_line_is_reported(tmp_path):
    path = write_jsonl(tmp_path / "x.jsonl", ["{oops", GOOD, '{"id": "c"}'])
    with pytest.raises(DataError) as exc:
        read_jsonl(path)
    assert [p.split(": ")[0] for p in exc.value.problems][:2] == [f"{path}:1", f"{path}:3"]


def test_bom_and_crlf_are_accepted(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + (json.dumps(GOOD) + "\r\n" + json.dumps({**GOOD, "id": "b"}) + "\r\n").encode())
    rows = read_jsonl(path)
    assert len(rows) == 2 and rows[1].text == "Troops left the base."


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_jsonl(tmp_path / "none.jsonl")


def test_near_duplicates_found():
    from event_classifier.train.data import Example

    rows = [
        Example("1", "The bodies of 90 soldiers were returned to Ukraine on Friday, officials said.", ()),
        Example("2", "The bodies of 75 soldiers were returned to Ukraine on Friday, officials said.", ()),
        Example("3", "Rebels left the town.", ()),
    ]
    pairs = near_duplicates(rows, 0.8)
    assert [(a.id, b.id) for a, b, _ in pairs] == [("1", "2")]


def test_shipped_corpus_passes_data_check(root, capsys):
    failures = check(root / "data")
    assert failures == [], "\n".join(failures[:20])
    out = capsys.readouterr().out
    assert "stem-free share" in out and "multi-label combinations" in out


def test_data_check_fails_on_small_corpus(tmp_path):
    for split in ("train", "dev", "test"):
        write_jsonl(tmp_path / f"{split}.jsonl", [{**GOOD, "id": split}, {"id": split + "2", "text": f"Rain fell on the {split} town.", "labels": []}])
    failures = check(tmp_path, Requirements())
    assert any("needs >= 3000" in f for f in failures)
    assert any("exact duplicate" in f for f in failures)


def test_data_check_reads_opt_in_tranches(tmp_path, capsys):
    """data/extra/*.jsonl is not a split, but a broken line in it still fails the check by file:line."""
    for split in ("train", "dev", "test"):
        write_jsonl(tmp_path / f"{split}.jsonl", [{**GOOD, "id": split}])
    (tmp_path / "extra").mkdir()
    write_jsonl(tmp_path / "extra" / "more.jsonl", [{**GOOD, "id": "x1"}, "{broken"])
    failures = check(tmp_path, Requirements())
    assert any("more.jsonl:2: malformed JSON" in f for f in failures), failures
    write_jsonl(tmp_path / "extra" / "more.jsonl", [{**GOOD, "id": "x1"}])
    check(tmp_path, Requirements())
    assert "more.jsonl: 1 sentences" in capsys.readouterr().out


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=40), st.binary(max_size=40).map(lambda b: b.decode("latin-1"))), min_size=1, max_size=5))
def test_loader_never_crashes_on_junk(tmp_path_factory, lines):
    """Any junk either loads or raises DataError naming the file; never another exception."""
    path = tmp_path_factory.mktemp("junk") / "x.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    try:
        read_jsonl(path)
    except DataError as exc:
        assert str(path) in str(exc)


def _article(tmp_path, rows):
    return {"train": read_jsonl(write_jsonl(tmp_path / "train.jsonl", rows))}


def test_article_rows_in_order_pass(tmp_path):
    rows = [
        {"id": "1", "text": "Rebels held Kolo for a year.", "labels": [], "doc": "d1", "context": None},
        {"id": "2", "text": "They left on Sunday.", "labels": ["withdrawal"], "doc": "d1", "needs_context": True,
         "context": "Rebels held Kolo for a year."},
        {"id": "3", "text": "Rain.", "labels": []},
    ]
    splits = _article(tmp_path, rows)
    assert check_articles(splits) == []
    assert splits["train"][1].doc == "d1" and splits["train"][1].needs_context


@pytest.mark.parametrize(
    "rows, message",
    [
        ([{"id": "1", "text": "A.", "labels": [], "doc": "d", "context": "Z."}], "first sentence of an article has no context"),
        ([{"id": "1", "text": "A.", "labels": [], "doc": "d"}, {"id": "2", "text": "B.", "labels": [], "doc": "d", "context": "Q."}],
         "context must equal the previous sentence"),
        ([{"id": "1", "text": "A.", "labels": [], "doc": "d"}, {"id": "2", "text": "B.", "labels": []},
          {"id": "3", "text": "C.", "labels": [], "doc": "d"}], "article 'd' is split"),
        ([{"id": "1", "text": "A.", "labels": [], "needs_context": True}], "'needs_context' is set on a sentence with no 'doc'"),
    ],
)
def test_article_faults_name_the_line(tmp_path, rows, message):
    failures = check_articles(_article(tmp_path, rows))
    assert any(message in f and "train.jsonl:" in f for f in failures), failures


def test_random_context_keeps_labels_and_articles(tmp_path):
    from event_classifier.train.data import add_random_context

    rows = [{"id": f"s{i}", "text": f"Sentence number {i}.", "labels": ["escape"] if i % 2 else []} for i in range(20)]
    rows += [{"id": "a1", "text": "Art one.", "labels": [], "doc": "d"},
             {"id": "a2", "text": "Art two.", "labels": ["transfer"], "doc": "d", "context": "Art one."}]
    ex = read_jsonl(write_jsonl(tmp_path / "t.jsonl", rows))
    out = add_random_context(ex, 0.5, seed=1)
    assert [e.labels for e in out] == [e.labels for e in ex] and [e.id for e in out] == [e.id for e in ex]
    given = [e for e in out if not e.doc and e.context]
    assert len(given) == 10 and all(e.context != e.text and e.context.startswith("Sentence") for e in given)
    assert out[-2:] == ex[-2:]  # article rows keep their real context
    assert add_random_context(ex, 0.5, seed=1) == out  # seeded


def test_alone_copies_use_alone_labels_and_skip_unknown():
    from event_classifier.train.data import Example, with_alone_copies

    rows = [Example("a-1", "Prisoners tunnelled out overnight.", ("escape",), doc="a"),
            Example("a-2", "Four were caught by noon.", ("escape",), context="Prisoners tunnelled out overnight.",
                    doc="a", needs_context=True, alone_labels=()),
            Example("a-3", "They were held in a cell.", ("escape",), context="Four were caught by noon.", doc="a",
                    needs_context=True),  # alone labels never annotated: no copy
            Example("b-1", "Troops left the base.", ("withdrawal",))]
    out = with_alone_copies(rows)
    assert out[:4] == rows
    assert [(e.id, e.labels, e.context) for e in out[4:]] == [("a-2~alone", (), None)]
