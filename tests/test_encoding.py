"""Context pairs: the previous sentence is cut before the sentence is, and `truncated` speaks only
about the sentence."""

import pytest

from event_classifier.encoding import Encoder


@pytest.fixture(scope="module")
def enc(shipped):
    return Encoder.from_file(shipped / "tokenizer.json", max_length=24)


def test_pair_layout(enc):
    (ids, types, trunc), = enc.encode(["They left."], ["Rebels held the town."])
    single, = enc.encode(["They left."])
    assert ids[0] == 101 and ids.count(102) == 2  # [CLS] context [SEP] sentence [SEP]
    assert ids[-len(single[0]) + 1:] == single[0][1:]  # the sentence tokens are unchanged
    assert types[-1] == 1 and types[0] == 0 and not trunc


def test_no_or_blank_context_is_a_single_sentence(enc):
    assert enc.encode(["They left."], [None]) == enc.encode(["They left."], ["  "]) == enc.encode(["They left."])


def test_long_context_is_cut_not_the_sentence(enc):
    (ids, types, trunc), = enc.encode(["They left the base."], ["word " * 100])
    single, = enc.encode(["They left the base."])
    assert len(ids) == 24 and not trunc
    assert ids[-len(single[0]) + 1:] == single[0][1:]


def test_sentence_filling_the_window_drops_context_and_is_flagged(enc):
    long = "troops " * 60
    (ids, types, trunc), = enc.encode([long], ["Rebels held the town."])
    assert len(ids) == 24 and trunc and set(types) == {0}


def test_context_tokens_keeps_the_opening_words_of_the_context(shipped):
    capped = Encoder.from_file(shipped / "tokenizer.json", max_length=64, context_tokens=3)
    full = Encoder.from_file(shipped / "tokenizer.json", max_length=64)
    (ids, types, _), = capped.encode(["They left."], ["Rebels held the northern town for weeks."])
    (want, _, _), = full.encode(["They left."], ["Rebels held the"])
    assert ids == want  # [CLS] rebels held the [SEP] they left . [SEP]
    short, = capped.encode(["They left."], ["Rebels fled."])
    assert short == full.encode(["They left."], ["Rebels fled."])[0]  # a short context is kept whole
    with pytest.raises(ValueError, match="context_tokens"):
        Encoder.from_file(shipped / "tokenizer.json", max_length=64, context_tokens=0)


def test_context_tokens_is_read_from_the_checkpoint(shipped, tmp_path):
    import json
    import shutil

    from event_classifier import load

    folder = tmp_path / "onnx"
    shutil.copytree(shipped.parent / "onnx", folder)
    meta = json.loads((folder / "event_classifier.json").read_text())
    (folder / "event_classifier.json").write_text(json.dumps({**meta, "context_tokens": 2}))
    clf = load(folder)
    assert clf._tok.context_tokens == 2
    assert load()._tok.context_tokens is None  # the shipped model reads whole contexts
