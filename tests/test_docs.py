"""The `>>>` examples in the public docstrings run and give what they show."""

import doctest

import pytest

import event_classifier
from event_classifier import document, inference


@pytest.mark.parametrize("module", [event_classifier, inference, document], ids=lambda m: m.__name__)
def test_docstring_examples(shipped, module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
