"""Whole articles: split into sentences (pysbd), label each, keep character offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .inference import EventClassifier, Prediction, Threshold, load

# pysbd is rule-based, offline and handles "U.S.", "Lt. Col." and wire datelines; very long
# inputs are cut into blocks at blank lines first so its regexes stay fast.
_BLOCK = 20_000


@dataclass(frozen=True)
class SentenceResult:
    start: int
    end: int
    prediction: Prediction

    @property
    def text(self) -> str:
        return self.prediction.text

    def to_dict(self) -> dict[str, Any]:
        out = {"start": self.start, "end": self.end, **self.prediction.to_dict()}
        if self.prediction.evidence is not None:
            # spans index the article here, like start and end
            out["evidence"] = {lab: [[a + self.start, b + self.start, w] for a, b, w in spans]
                               for lab, spans in self.prediction.evidence.items()}
        return out


@dataclass(frozen=True)
class DocumentResult:
    """Per-sentence results (text[start:end] is the sentence) and the union of their labels."""

    text: str
    sentences: list[SentenceResult]
    labels: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"labels": self.labels, "sentences": [s.to_dict() for s in self.sentences]}


def _blocks(text: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    while pos < len(text):
        end = min(pos + _BLOCK, len(text))
        if end < len(text):
            cut = max(text.rfind("\n", pos, end), text.rfind(". ", pos, end))
            end = cut + 1 if cut > pos else end
        out.append((pos, text[pos:end]))
        pos = end
    return out


# pysbd knows "Gen." and "Lt." but not unit abbreviations: "the 7th Div. crossed" comes back as
# two sentences. A piece that starts in lower case, or is one abbreviation ("Div."), continues
# the sentence before it.
_CONTINUES = re.compile(r"""^[("'\u2018\u201c]?[a-z]|^(?:Div|Bde|Bn|Regt|Abn|Inf|Coy|Sqn|Bty|Mech|Mtn|Arty|Cav|Flt|Wg)\.$""")


def _merge_fragments(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in spans:
        if out and text[out[-1][1] - 1] == "." and _CONTINUES.match(text[a:b]):
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences in ``text`` (surrounding whitespace excluded)."""
    import pysbd

    seg = pysbd.Segmenter(language="en", clean=False, char_span=True)
    spans = []
    for offset, block in _blocks(text):
        for s in seg.segment(block):
            piece = block[s.start : s.end]
            lead = len(piece) - len(piece.lstrip())
            core = piece.strip()
            if core:
                # long runs with no sentence end are cut so no "sentence" is absurdly long
                start = offset + s.start + lead
                for k in range(0, len(core), 2_000):
                    chunk = core[k : k + 2_000]
                    spans.append((start + k, start + k + len(chunk)))
    return _merge_fragments(text, spans)


def predict_document(
    text: str,
    *,
    classifier: EventClassifier | None = None,
    batch_size: int = 32,
    threshold: Threshold = None,
    use_context: bool = True,
    explain: bool = False,
) -> DocumentResult:
    """Split an article into sentences and label each one.

    Checkpoints trained with context (metadata ``context: true``) get the previous sentence as a
    text pair, so "Only a handful of guards were left..." is read after its neighbour. Such a model
    also tends to repeat its neighbour's labels on a sentence that reports nothing (see "label echo"
    in reports/eval.md); ``use_context=False`` reads every sentence alone instead. ``explain=True``
    adds each sentence's evidence (`Prediction.evidence`, offsets within the sentence; `to_dict()`
    gives them as article offsets).

    >>> doc = predict_document("QAMISHLI, Syria (AP) — Prisoners tunnelled out of the city jail overnight. "
    ...                        "Four of them were caught by noon. Rain fell.")
    >>> [(s.text, s.prediction.labels) for s in doc.sentences][:2]
    [('QAMISHLI, Syria (AP) — Prisoners tunnelled out of the city jail overnight.', ['escape']), ('Four of them were caught by noon.', ['escape'])]
    >>> [s.prediction.labels for s in predict_document("U.S. troops left the base. Rain fell.", use_context=False).sentences]
    [['withdrawal'], []]
    """
    if not isinstance(text, str):
        raise TypeError(f"predict_document() expects a str, got {type(text).__name__}")
    clf = classifier or load()
    spans = split_sentences(text)
    sentences = [text[a:b] for a, b in spans]
    context = [None] + sentences[:-1] if clf.context and use_context else None
    preds = clf.predict(sentences, batch_size=batch_size, threshold=threshold, context=context, explain=explain) if sentences else []
    results = [SentenceResult(a, b, p) for (a, b), p in zip(spans, preds)]
    found = {lab for p in preds for lab in p.labels}
    return DocumentResult(text=text, sentences=results, labels=[lab for lab in clf.labels if lab in found])
