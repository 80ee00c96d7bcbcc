import numpy as np

from event_classifier.train.metrics import tune_thresholds


def test_flat_f1_curve_keeps_the_threshold_at_half():
    # every score is near 0 or 1: any threshold in between gives the same F1
    y = np.array([[1], [1], [0], [0], [1], [0]])
    p = np.array([[0.97], [0.99], [0.02], [0.04], [0.95], [0.01]])
    assert tune_thresholds(y, p, ["a"]) == {"a": 0.5}


def test_a_clear_gain_moves_the_threshold():
    # positives scored 0.3-0.4 are all missed at 0.5; a threshold at or below 0.3 catches them
    y = np.array([[1]] * 6 + [[0]] * 6)
    p = np.array([[0.3], [0.32], [0.35], [0.38], [0.4], [0.9]] + [[0.05]] * 6)
    t = tune_thresholds(y, p, ["a"])["a"]
    assert 0.05 < t <= 0.3
    # with a tolerance larger than the gain the threshold would stay put
    assert tune_thresholds(y, p, ["a"], tolerance=1.0) == {"a": 0.5}


def test_small_gain_within_tolerance_is_ignored():
    # moving to 0.45 catches one more positive out of many: less than one F1 point
    y = np.array([[1]] * 60 + [[0]] * 60)
    p = np.array([[0.9]] * 59 + [[0.46]] + [[0.1]] * 60)
    assert tune_thresholds(y, p, ["a"]) == {"a": 0.5}
    assert tune_thresholds(y, p, ["a"], tolerance=0.0)["a"] <= 0.46
