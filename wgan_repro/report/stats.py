"""The few statistics the report needs, written out so that they need no SciPy: the
paper's median filter, Spearman's rank correlation and mean ± std over seeds."""
from __future__ import annotations

import math
from typing import Iterable, Optional

import numpy as np
import pandas as pd


def median_window(n_rows: int, fraction: float, max_rows: int) -> int:
    """Odd window of about `fraction` of `n_rows` rows, within [1, max_rows]."""
    window = max(1, min(int(round(n_rows * fraction)), max_rows))
    return window if window % 2 == 1 else max(window - 1, 1)      # odd, so the filter is centred


def median_filter(values: pd.Series, window: int) -> pd.Series:
    """Centred running median; the ends use the rows that exist (no padding)."""
    return values.rolling(window, center=True, min_periods=1).median()


def spearman(x: Iterable[float], y: Iterable[float]) -> float:
    """Spearman's rank correlation (ties get their average rank); NaN below 3 pairs or for a
    constant series. Pairs with a missing value are dropped."""
    frame = pd.DataFrame({"x": list(x), "y": list(y)}).dropna()
    if len(frame) < 3:
        return math.nan
    rx, ry = frame["x"].rank(method="average").to_numpy(), frame["y"].rank(method="average").to_numpy()
    if np.std(rx) == 0 or np.std(ry) == 0:
        return math.nan
    return float(np.corrcoef(rx, ry)[0, 1])


def mean_std(values: Iterable[float]) -> tuple[float, float, int]:
    """Mean, sample standard deviation (ddof 1; NaN for one value) and count of the finite values."""
    array = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    if array.size == 0:
        return math.nan, math.nan, 0
    std = float(array.std(ddof=1)) if array.size > 1 else math.nan
    return float(array.mean()), std, int(array.size)


def fmt(value: Optional[float], digits: int = 3) -> str:
    """A number for a table: `digits` significant digits, '' when missing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    value = float(value)
    if value.is_integer() or abs(value) >= 10 ** digits:
        return f"{value:.0f}"
    return f"{value:.{digits}g}"


def theil_sen(x: Iterable[float], y: Iterable[float]) -> tuple[float, float]:
    """Theil-Sen line through the points: (slope, intercept), the slope the median of the slopes
    of every pair with distinct x and the intercept the median of y - slope * x. One outlying
    point moves it little, unlike least squares. NaN for fewer than 2 distinct x."""
    frame = pd.DataFrame({"x": list(x), "y": list(y)}).dropna()
    xs, ys = frame["x"].to_numpy(dtype=float), frame["y"].to_numpy(dtype=float)
    i, j = np.triu_indices(len(xs), k=1)
    keep = xs[j] != xs[i]
    if not keep.any():
        return math.nan, math.nan
    slope = float(np.median((ys[j] - ys[i])[keep] / (xs[j] - xs[i])[keep]))
    return slope, float(np.median(ys - slope * xs))
