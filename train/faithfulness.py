"""Is the evidence (`predict(..., explain=True)`) what the model actually used? ERASER-style checks.

For every test sentence and every label the model predicts on it:
- comprehensiveness: score drop when the evidence words are removed (higher = the words mattered);
- sufficiency: score drop when only the evidence words are kept (lower = the words suffice).
Both are set beside the same figures for random words of the same number, drawn from the same
pool (content words: the occlusion candidates), so evidence has to beat chance, not just exist.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from event_classifier.evidence import candidates, only, without, word_spans

SEED = 12345
MARGIN = 0.10
"""Comprehensiveness must beat random by this much (in probability) to count as a clear margin."""


def faithfulness(clf: Any, texts: list[str], contexts: list[str | None] | None, seed: int = SEED) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    preds = clf.predict(texts, context=contexts, explain=True)
    names = list(clf.labels)
    variants: list[str] = []
    variant_ctx: list[str | None] = []
    items: list[tuple[str, float, int]] = []  # (label, original score, index of its first variant)
    for i, p in enumerate(preds):
        spans = word_spans(p.text)
        pool = candidates(p.text, spans)
        start_of = {a: j for j, (a, _) in enumerate(spans)}
        for lab in p.labels:
            ev = {start_of[a] for a, _, _ in (p.evidence or {}).get(lab, []) if a in start_of}
            if not ev or len(pool) <= len(ev):
                continue
            rand = set(rng.choice(pool, size=len(ev), replace=False).tolist())
            items.append((lab, p.scores[lab], len(variants)))
            for v in (without(p.text, spans, ev), only(p.text, spans, ev), without(p.text, spans, rand), only(p.text, spans, rand)):
                variants.append(v)
                variant_ctx.append(contexts[i] if contexts is not None else None)
    probs = clf.scores(variants, contexts=variant_ctx if contexts is not None else None)[0] if variants else np.zeros((0, len(names)))
    per: dict[str, dict[str, list[float]]] = {lab: {k: [] for k in ("comp", "suff", "rand_comp", "rand_suff")} for lab in names}
    for lab, score, j in items:
        k = names.index(lab)
        d = per[lab]
        d["comp"].append(score - probs[j, k])
        d["suff"].append(score - probs[j + 1, k])
        d["rand_comp"].append(score - probs[j + 2, k])
        d["rand_suff"].append(score - probs[j + 3, k])
    out: dict[str, Any] = {"n_sentences": len(texts), "margin": MARGIN, "seed": seed, "per_label": {}}
    for lab, d in per.items():
        if not d["comp"]:
            continue
        m: dict[str, Any] = {key: float(np.mean(v)) for key, v in d.items()}
        m["n"] = len(d["comp"])
        m["beats_random"] = bool(m["comp"] - m["rand_comp"] >= MARGIN and m["suff"] < m["rand_suff"])
        out["per_label"][lab] = m
    out["evidence_words_mean"] = float(np.mean([len(p.evidence.get(lab, [])) for p in preds for lab in p.labels])) if items else 0.0
    return out
