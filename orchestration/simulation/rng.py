"""Deterministic random streams for the simulation.

Every stream is derived from a tuple of labels (seed, county, period, purpose ...) by
SHA-256, so a stream never depends on the order in which others were used: adding a fault
kind or a month does not change the figures of the counties already simulated.
"""

from __future__ import annotations

import hashlib
import math
import random


def rng_for(*parts: object) -> random.Random:
    """A random stream keyed by ``parts``; the same parts give the same stream."""
    key = "|".join(str(p) for p in parts).encode("utf-8")
    return random.Random(int.from_bytes(hashlib.sha256(key).digest()[:8], "big"))


def small_count(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth), for the small monthly inflows and new findings."""
    if mean <= 0:
        return 0

    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def allocate(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` into whole parts proportional to ``weights`` (largest remainder)."""
    if total == 0 or not weights:
        return [0] * len(weights)

    scale = sum(weights)
    raw = [total * w / scale for w in weights]
    parts = [math.floor(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - parts[i]), i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts
