"""Least-squares fits used to check that compile time grows linearly with size."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LinearFit:
    fixed_s: float  # intercept: start-up and per-run costs
    per_item_s: float  # slope: cost of one more interface
    r_squared: float


def linear(xs: Sequence[float], ys: Sequence[float]) -> LinearFit:
    slope, intercept = statistics.linear_regression(xs, ys)
    mean = statistics.fmean(ys)
    total = sum((y - mean) ** 2 for y in ys)
    residual = sum((y - (intercept + slope * x)) ** 2 for x, y in zip(xs, ys, strict=True))
    return LinearFit(intercept, slope, 1.0 - residual / total if total else 1.0)


def growth_exponent(sizes: Sequence[int], seconds: Sequence[float]) -> float | None:
    """k in t(n) - t(smallest) ~ n^k: the start-up cost would otherwise hide how the
    size-dependent part grows. Taken over the two largest sizes only: at the small
    ones that part is a few milliseconds, below the timing noise, and its logarithm
    would swing the fit. 1 means linear."""
    base_size, base_time = sizes[0], seconds[0]
    points = [(math.log(n - base_size), math.log(t - base_time))
              for n, t in zip(sizes[1:], seconds[1:], strict=True) if t > base_time][-2:]
    if len(points) < 2:
        return None
    (x1, y1), (x2, y2) = points
    return (y2 - y1) / (x2 - x1)
