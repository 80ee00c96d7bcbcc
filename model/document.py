"""Whole articles: split into sentences (event_classifier.sentences), label each, keep character offsets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .inference import EventClassifier, Prediction, Threshold, load
from .sentences import split_sentences

__all__ = ["DocumentResult", "SentenceResult", "predict_document", "split_sentences"]


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
    """Per-sentence results (text[start:end] is the sentence) and the article's labels: those whose
    best sentence score clears the checkpoint's article threshold (`EventClassifier.article_thresholds`;
    with an explicit ``threshold``, that one), so every article label is on some sentence too."""

    text: str
    sentences: list[SentenceResult]
    labels: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"labels": self.labels, "sentences": [s.to_dict() for s in self.sentences]}


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

    Checkpoints trained with context read each sentence after its predecessor, so "Only a handful
    of guards were left..." is read after its neighbour: the shipped one (``context: head``) encodes
    every sentence once and combines neighbouring encodings in its context head; older ones
    (``context: true``) read text pairs. A context model can repeat its neighbour's labels on a
    sentence that reports nothing (see "label echo" in reports/eval.md); ``use_context=False``
    reads every sentence alone instead. ``explain=True``
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
    # one weak sentence in a long article is more often a false alarm than the article's event
    need = clf.article_thresholds if threshold is None else clf._thresholds(threshold)
    found = {lab for p in preds for lab in p.labels if p.scores[lab] >= need[lab]}
    return DocumentResult(text=text, sentences=results, labels=[lab for lab in clf.labels if lab in found])
