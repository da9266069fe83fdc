"""Confidence intervals and the small-number rule."""

import math
from dataclasses import dataclass

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Rate:
    """A proportion with its count and 95% interval; ``value`` is None when suppressed or undefined."""

    value: float | None
    low: float | None
    high: float | None
    n: int
    positive: int = 0
    suppressed: bool = False

    def as_dict(self):
        """The stable API shape: {value, low, high, n}."""
        return {"value": self.value, "low": self.low, "high": self.high, "n": self.n}


def wilson(positive, n, z=Z95):
    """The Wilson score interval for ``positive`` successes out of ``n``; (None, None) when n == 0."""
    if n <= 0:
        return None, None
    p = positive / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if positive == 0 else max(0.0, centre - half)
    high = 1.0 if positive == n else min(1.0, centre + half)
    return low, high


def rate(positive, n, respondents, min_count):
    """A Rate, suppressed when fewer than ``min_count`` people stand behind it."""
    positive, n = int(positive or 0), int(n or 0)
    if n == 0 or respondents < min_count:
        return Rate(None, None, None, n, positive, suppressed=n > 0)
    low, high = wilson(positive, n)
    return Rate(positive / n, low, high, n, positive)


def mean_interval(total, total_squares, n, respondents, min_count):
    """A mean with a normal-approximation 95% interval, suppressed like a rate."""
    n = int(n or 0)
    if n == 0 or respondents < min_count:
        return Rate(None, None, None, n, suppressed=n > 0)
    mean = total / n
    variance = max(0.0, total_squares / n - mean * mean) * (n / (n - 1) if n > 1 else 0)
    half = Z95 * math.sqrt(variance / n) if n > 1 else 0.0
    return Rate(mean, mean - half, mean + half, n)
