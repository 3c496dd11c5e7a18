"""What the stratified strategies share: classes too small to be in every part are refused by name,
before scikit-learn fails on them with a message about its own arguments."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Sequence

SHOWN = 10  # classes named in one message


def require_stratifiable(labels: Sequence[Hashable], per_class: int, parts: str, fractions: dict[str, float]) -> None:
    """Refuse a class with fewer than `per_class` samples (one for each of `parts`), and a split
    too small to hold one sample of every class (`fractions`: each such split's share)."""
    counts = Counter(labels)
    small = sorted(((str(label), count) for label, count in counts.items() if count < per_class), key=lambda c: c[1])
    if small:
        listed = ", ".join(f"{label!r} ({count})" for label, count in small[:SHOWN])
        more = f" and {len(small) - SHOWN} more" if len(small) > SHOWN else ""
        raise ValueError(
            f"Too few samples of class {listed}{more}: a stratified split needs at least {per_class} of each "
            f"class ({parts}). Add samples of these classes, leave them out, or split at random."
        )
    for split, fraction in fractions.items():
        size = math.ceil(fraction * len(labels))
        if size < len(counts):
            raise ValueError(
                f"The {split} split of {len(labels)} samples gets {size}, fewer than the {len(counts)} classes: "
                f"a stratified split gives it one of each. Raise its fraction ({fraction}) or add samples."
            )
