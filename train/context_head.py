"""Fitting the context head (`context: head`, model/context_head.py) after the encoder is trained.

The encoder has learnt sentences alone; here every training article sentence with a previous
sentence becomes one row of features (both sentences' alone logits and encodings), and a logistic
regression per label learns the in-article labels from them. The head's decision threshold is
tuned on the dev split's article sentences and folded into its bias, so one stored threshold per
label serves both readings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from event_classifier.context_head import ContextHead, features, torch_forward
from event_classifier.encoding import Encoder

from .data import Example, multi_hot
from .metrics import multilabel_metrics, tune_thresholds
from .training import _sigmoid


def encode_texts(model: Any, encoder: Encoder, texts: Sequence[str], batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """(alone logits, encodings) for ``texts`` from a torch sequence-classification model."""
    import inspect

    import torch

    device = next(model.parameters()).device
    uses_types = "token_type_ids" in inspect.signature(model.forward).parameters
    encoded = encoder.encode(list(texts))
    order = sorted(range(len(texts)), key=lambda i: len(encoded[i][0]))
    logits: list[np.ndarray] = [np.empty(0)] * len(texts)
    embs: list[np.ndarray] = [np.empty(0)] * len(texts)
    was_training = model.training
    model.eval()
    for k in range(0, len(order), batch_size):
        group = order[k : k + batch_size]
        width = max(len(encoded[i][0]) for i in group)
        ids = torch.full((len(group), width), encoder.pad_id, dtype=torch.long)
        mask = torch.zeros((len(group), width), dtype=torch.long)
        for row, i in enumerate(group):
            ids[row, : len(encoded[i][0])] = torch.tensor(encoded[i][0])
            mask[row, : len(encoded[i][0])] = 1
        feed = {"input_ids": ids.to(device), "attention_mask": mask.to(device)}
        if uses_types:
            feed["token_type_ids"] = torch.zeros_like(feed["input_ids"])
        with torch.inference_mode():
            lg, em = torch_forward(model, feed)
        for row, i in enumerate(group):
            logits[i], embs[i] = lg[row].float().cpu().numpy(), em[row].float().cpu().numpy()
    model.train(was_training)
    return np.stack(logits), np.stack(embs)


def _encodings(model: Any, encoder: Encoder, rows: Sequence[Example], batch_size: int) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Every row's alone logits, the head's features for the rows with a context, and which rows
    those are; each distinct sentence is encoded once, as `EventClassifier.scores` does."""
    unique = list(dict.fromkeys([e.text for e in rows] + [e.context for e in rows if e.context]))
    index = {t: i for i, t in enumerate(unique)}
    lg, em = encode_texts(model, encoder, unique, batch_size)
    t = np.array([index[e.text] for e in rows], dtype=np.int64)
    has = [i for i, e in enumerate(rows) if e.context]
    c = [index[rows[i].context] for i in has]  # type: ignore[index]
    return lg[t], features(lg[t[has]], em[t[has]], lg[c], em[c]), has


def tune_article_margin(docs: Sequence[str], probs: np.ndarray, y: np.ndarray, thresholds: Sequence[float],
                        grid: Sequence[float] = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)) -> float:
    """The margin over the sentence thresholds that gets the most articles' label sets exactly
    right (ties: the smaller margin). An article reports a label when its best sentence clears the
    sentence threshold plus this margin."""
    names = list(dict.fromkeys(docs))
    index = {d: i for i, d in enumerate(names)}
    best_p = np.zeros((len(names), probs.shape[1]))
    gold = np.zeros((len(names), probs.shape[1]), dtype=bool)
    for d, p, g in zip(docs, probs, y):
        best_p[index[d]] = np.maximum(best_p[index[d]], p)
        gold[index[d]] |= g.astype(bool)
    scores = [(float(np.mean(((best_p >= with_margin(thresholds, m)) == gold).all(1))), -m) for m in grid]
    return -max(scores)[1]


def with_margin(thresholds: Sequence[float], margin: float) -> np.ndarray:
    return np.minimum(np.asarray(thresholds, dtype=float) + margin, 0.95)


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return float(np.log(p / (1 - p)))


def fit_context_head(
    model: Any,
    encoder: Encoder,
    train_rows: Sequence[Example],
    dev_rows: Sequence[Example],
    labels: Sequence[str],
    alone_thresholds: dict[str, float],
    c: float,
    batch_size: int = 64,
) -> tuple[ContextHead, dict[str, Any]]:
    """The fitted head and a summary (rows used, dev metrics of the in-article reading, and the
    article margin tuned on the dev articles)."""
    from sklearn.linear_model import LogisticRegression

    train_ctx = [e for e in train_rows if e.context]
    dim = len(labels)
    _, x, _ = _encodings(model, encoder, train_ctx, batch_size)
    y = multi_hot(train_ctx, labels)
    # standardised for the solver, then folded back so inference is one matrix product
    mu, sd = x.mean(0), x.std(0) + 1e-6
    n_feat = x.shape[1]
    head = ContextHead.passthrough(dim, (n_feat - 2 * dim) // 3)
    weight, bias = head.weight.copy(), head.bias.copy()
    for j in range(dim):
        if y[:, j].min() == y[:, j].max():
            continue  # one class only: keep the alone logit for this label
        lr = LogisticRegression(C=c, max_iter=2000).fit((x - mu) / sd, y[:, j])
        w = lr.coef_[0] / sd
        weight[:, j], bias[j] = w, lr.intercept_[0] - float(w @ mu)
    head = ContextHead(weight.astype(np.float32), bias.astype(np.float32))

    # dev article sentences, encoded once for both the head's thresholds and the article margin
    dev = [e for e in dev_rows if e.context or e.doc]
    has = [i for i, e in enumerate(dev) if e.context]
    summary: dict[str, Any] = {"c": c, "train_rows": len(train_ctx), "dev_rows": len(has)}
    if not has:
        return head, summary
    alone_logits, xd, has = _encodings(model, encoder, dev, batch_size)
    yd = multi_hot([dev[i] for i in has], labels)
    tuned = tune_thresholds(yd, _sigmoid(head.logits(xd)), labels)
    # shift each label's logits so that the alone threshold decides where the tuned one did
    shift = np.array([_logit(alone_thresholds[lab]) - _logit(tuned[lab]) for lab in labels], dtype=np.float32)
    head = ContextHead(head.weight, head.bias + shift)
    probs = _sigmoid(alone_logits)
    probs[has] = _sigmoid(head.logits(xd))
    sentence_thr = [alone_thresholds[lab] for lab in labels]
    pred = (probs[has] >= np.array(sentence_thr)).astype(np.int64)
    summary |= {"tuned_thresholds": tuned, "dev_in_article": multilabel_metrics(yd, pred, labels)}
    docs = [i for i, e in enumerate(dev) if e.doc]
    if docs:
        # an article's label set is only as good as its weakest false alarm, so the article
        # reading asks more of a sentence than the sentence reading does
        summary["article_margin"] = tune_article_margin([dev[i].doc for i in docs], probs[docs],  # type: ignore[misc]
                                                        multi_hot([dev[i] for i in docs], labels), sentence_thr)
        summary["dev_articles"] = len({dev[i].doc for i in docs})
    return head, summary
