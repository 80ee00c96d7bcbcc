"""Evidence for a label: the words whose removal lowers its score most (word occlusion).

Occlusion needs nothing but forward passes, so it runs on the default torch-free ONNX path: every
one-word-removed variant of a sentence is scored in one call, on the same backend and with the same
context as the prediction it explains. A word's weight is the drop in the label's score when it is
removed, in logits (log-odds), so saturated scores still rank their words; only words with
a positive drop are evidence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .inference import EventClassifier

Span = tuple[int, int, float]
"""(start, end, weight): text[start:end] is the word; weight is the score it accounts for."""

# words, numbers and hyphenated or abbreviated tokens; punctuation on its own is never evidence
_WORD = re.compile(r"\w(?:[\w'’.\-]*\w)?")
TOP_K = 5
# Function words are not occluded: they are rarely what a label rests on, and skipping them keeps
# a 25-word sentence to about 15 extra forward passes. Particles that carry events ("out" in
# "broke out", "back", "home", "away", "off") are not in the list.
SKIP = frozenset("""
a an the this that these those some any each every all both
of in on at by for with from to into onto upon about over under between among through during after before
since until than as per via
and or but nor so yet if then because while although though whether
is are was were be been being am has have had having do does did will would shall should can could may might must
it its it's they them their theirs he him his she her hers we us our you your i me my who whom whose which what
there here not no also just only very more most such said says say told according
""".split())


def word_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _WORD.finditer(text)]


def candidates(text: str, spans: Sequence[tuple[int, int]]) -> list[int]:
    """Indices of the words worth occluding (not function words, not bare numbers)."""
    return [i for i, (a, b) in enumerate(spans) if text[a:b].lower() not in SKIP and not text[a:b].replace(",", "").isdigit()]


def without(text: str, spans: Sequence[tuple[int, int]], drop: set[int]) -> str:
    """``text`` with the words at the indices in ``drop`` removed (the rest kept verbatim)."""
    out, pos = [], 0
    for i, (a, b) in enumerate(spans):
        if i in drop:
            out.append(text[pos:a])
            pos = b
    out.append(text[pos:])
    return re.sub(r"\s{2,}", " ", "".join(out)).strip()


def only(text: str, spans: Sequence[tuple[int, int]], keep: set[int]) -> str:
    """Just the words at the indices in ``keep``, in order."""
    return " ".join(text[a:b] for i, (a, b) in enumerate(spans) if i in keep)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p.astype(np.float64), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def occlusion(
    clf: EventClassifier,
    texts: list[str],
    contexts: list[str | None] | None,
    labels: list[list[str]],
    base: np.ndarray,
    top_k: int = TOP_K,
) -> list[dict[str, list[Span]]]:
    """For each text, for each of its ``labels``, up to top_k words by occlusion weight, highest first."""
    names = list(clf.labels)
    variants: list[str] = []
    variant_ctx: list[str | None] = []
    owners: list[tuple[int, int]] = []  # (text index, word index)
    spans_of = []
    for i, (text, labs) in enumerate(zip(texts, labels)):
        spans = word_spans(text) if labs else []
        spans_of.append(spans)
        for j in candidates(text, spans) if labs else []:
            variants.append(without(text, spans, {j}))
            variant_ctx.append(contexts[i] if contexts is not None else None)
            owners.append((i, j))
    out: list[dict[str, list[Span]]] = [{lab: [] for lab in labs} for labs in labels]
    if not variants:
        return out
    probs, _ = clf.scores(variants, contexts=variant_ctx if contexts is not None else None, packed=True)
    # logit drops: a saturated score (0.999) still moves visibly in logit space when a word goes
    drops: dict[int, list[tuple[int, np.ndarray]]] = {}
    for (i, j), row in zip(owners, probs):
        drops.setdefault(i, []).append((j, _logit(base[i]) - _logit(row)))
    for i, items in drops.items():
        for lab in labels[i]:
            k = names.index(lab)
            ranked = sorted(((float(d[k]), j) for j, d in items if d[k] > 0), reverse=True)[:top_k]
            out[i][lab] = [(spans_of[i][j][0], spans_of[i][j][1], round(w, 3)) for w, j in ranked]
    return out
