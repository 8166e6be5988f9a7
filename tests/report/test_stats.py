"""The report's statistics against hand-computed values."""
import math

import numpy as np
import pandas as pd
import pytest

from wgan_repro.report.stats import fmt, mean_std, median_filter, median_window, spearman, theil_sen


def test_spearman_matches_hand_values():
    # ranks differ by (-1, 1, -1, 1, 0): rho = 1 - 6 * 4 / (5 * 24) = 0.8
    assert spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]) == pytest.approx(0.8)
    assert spearman([1, 2, 3, 4], [40, 30, 20, 10]) == pytest.approx(-1.0)
    # ties take their average rank: y ranks (1, 2.5, 2.5, 4); centred ranks (-1.5, -.5, .5, 1.5) and
    # (-1.5, 0, 0, 1.5): covariance 4.5, variances 5 and 4.5
    assert spearman([1, 2, 3, 4], [1, 5, 5, 9]) == pytest.approx(4.5 / math.sqrt(5 * 4.5))
    # monotone but not linear: still 1
    assert spearman([1, 2, 3, 4, 5], np.exp([1, 2, 3, 4, 5])) == pytest.approx(1.0)


def test_spearman_is_nan_when_undefined():
    assert math.isnan(spearman([1, 2], [2, 1]))
    assert math.isnan(spearman([1, 2, 3], [5, 5, 5]))
    assert spearman([1, 2, float("nan"), 3, 4], [1, 2, 9, 3, 4]) == pytest.approx(1.0)   # the NaN pair dropped


def test_median_filter_is_a_centred_running_median():
    values = pd.Series([0.0, 10.0, 1.0, 2.0, 30.0, 3.0, 4.0])
    assert median_filter(values, 3).tolist() == [5.0, 1.0, 2.0, 2.0, 3.0, 4.0, 3.5]
    assert median_filter(values, 1).tolist() == values.tolist()


def test_median_window_is_odd_and_bounded():
    assert median_window(2000, 0.02, 501) == 39            # 40 -> 39, odd
    assert median_window(100001, 0.02, 501) == 501
    assert median_window(4, 0.02, 501) == 1
    assert median_window(1000, 0.02, 10) == 9


def test_mean_std_and_format():
    mean, std, n = mean_std([40.0, 44.0, float("nan")])
    assert (mean, n) == (42.0, 2) and std == pytest.approx(math.sqrt(8))
    assert math.isnan(mean_std([1.0])[1])
    assert fmt(None) == "" and fmt(float("nan")) == "" and fmt(10.0) == "10" and fmt(0.12345) == "0.123"
    assert fmt(1234.4) == "1234" and fmt(-0.5) == "-0.5"


def test_theil_sen_is_the_median_pairwise_slope():
    # slopes of the 6 pairs: 1, 1, 1, 1 and the outlier's +10 and -9 (3 -> 13 -> 4): median 1
    slope, intercept = theil_sen([0, 1, 2, 3], [1, 2, 13, 4])
    assert slope == pytest.approx(1.0) and intercept == pytest.approx(1.0)      # median of (1, 1, 11, 1)
    assert theil_sen([0, 1, 2], [5, 3, 1]) == pytest.approx((-2.0, 5.0))
    assert all(math.isnan(v) for v in theil_sen([2, 2], [1, 5]))                 # no two distinct x
