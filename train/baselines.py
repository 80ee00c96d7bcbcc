"""Baselines reported beside the model: a keyword rule and TF-IDF + logistic regression."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from event_classifier.labels import SHIPPED, LabelSet

from .metrics import tune_thresholds


class KeywordRule:
    """Label a sentence when it contains the label's word stem (e.g. 'escap' -> escape)."""

    name = "keyword rule (label stems)"

    def __init__(self, labels: LabelSet = SHIPPED) -> None:
        missing = [lab for lab in labels if lab not in labels.stems]
        if missing:
            raise ValueError(f"the keyword baseline needs a stem for every label; none for {missing}")
        self.labels = labels

    def fit(self, texts: list[str], y: np.ndarray, dev_texts: list[str], y_dev: np.ndarray) -> "KeywordRule":
        return self  # nothing to learn; kept for a uniform interface

    def scores(self, texts: list[str]) -> np.ndarray:
        stems = [self.labels.stems[lab] for lab in self.labels]
        return np.array([[float(stem in t.lower()) for stem in stems] for t in texts]).reshape(len(texts), len(stems))

    def predict(self, texts: list[str]) -> np.ndarray:
        return self.scores(texts).astype(np.int64)


class TfidfLogReg:
    """Word 1-2 gram TF-IDF, one-vs-rest logistic regression, per-label thresholds tuned on dev."""

    name = "TF-IDF + logistic regression"

    def __init__(self, labels: Sequence[str] = SHIPPED.names) -> None:
        self.labels = list(labels)

    def fit(self, texts: list[str], y: np.ndarray, dev_texts: list[str], y_dev: np.ndarray) -> "TfidfLogReg":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier

        self.vec = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True, strip_accents="unicode")
        x = self.vec.fit_transform(texts)
        best = None
        for c in (1.0, 4.0, 16.0):  # C chosen on dev micro-F1 like the thresholds
            clf = OneVsRestClassifier(LogisticRegression(C=c, max_iter=2000, class_weight="balanced")).fit(x, y)
            probs = clf.predict_proba(self.vec.transform(dev_texts))
            thr = tune_thresholds(y_dev, probs, self.labels)
            pred = (probs >= np.array([thr[lab] for lab in self.labels])).astype(np.int64)
            tp = (pred & y_dev).sum()
            f1 = 2 * tp / max(pred.sum() + y_dev.sum(), 1)
            if best is None or f1 > best[0]:
                best = (f1, clf, thr, c)
        _, self.clf, self.thresholds, self.C = best
        return self

    def scores(self, texts: list[str]) -> np.ndarray:
        return self.clf.predict_proba(self.vec.transform(texts))

    def predict(self, texts: list[str]) -> np.ndarray:
        return (self.scores(texts) >= np.array([self.thresholds[lab] for lab in self.labels])).astype(np.int64)
