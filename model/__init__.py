"""event-classifier: sentence-level event labels for conflict and security news.

>>> from event_classifier import predict
>>> predict("Rebels pulled out of the town overnight.").labels
['withdrawal']
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .artifacts import CheckpointError
from .document import DocumentResult, SentenceResult, predict_document
from .inference import EventClassifier, Prediction, load, predict
from .labels import DEFINITIONS, LABELS

try:
    __version__ = version("event-classifier")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "LABELS",
    "DEFINITIONS",
    "CheckpointError",
    "EventClassifier",
    "Prediction",
    "load",
    "predict",
    "predict_document",
    "DocumentResult",
    "SentenceResult",
    "__version__",
]
