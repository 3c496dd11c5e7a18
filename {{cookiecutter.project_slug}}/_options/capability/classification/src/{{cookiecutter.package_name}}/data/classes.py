"""What the classification data modules share: samples' classes by name, as indices in the model's
output order, and the loss weights of the training split."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.utils.class_weight import compute_class_weight


def class_indices(
    label_names: Sequence[str], sample_ids: Sequence[str], class_names: Sequence[str], source: object
) -> list[int]:
    """Each sample's class (`label_names`, by name) as its index in `class_names` (the model's
    output order: a checkpoint's, when evaluating one); a class the model does not know is refused,
    naming a sample of it (`sample_ids`) and `source`."""
    index = {name: position for position, name in enumerate(class_names)}
    unknown = [position for position, name in enumerate(label_names) if name not in index]
    if unknown:
        classes = sorted({label_names[position] for position in unknown})
        raise ValueError(
            f"{source} has samples of class {', '.join(map(repr, classes))} (e.g. {sample_ids[unknown[0]]}), which the "
            f"model does not know: its classes are {', '.join(map(repr, class_names))}."
        )
    return [index[name] for name in label_names]


def balanced_class_weights(train_labels: Sequence[int], class_names: Sequence[str], source: object) -> list[float]:
    """Per-class loss weights, inversely proportional to each class's frequency in the training
    split (`train_labels`, indices in `class_names`); a class with no training sample is refused."""
    missing = sorted(set(range(len(class_names))) - set(train_labels))
    if missing:
        classes = ", ".join(repr(class_names[i]) for i in missing)
        raise ValueError(
            f"The training split of {source} has no samples of class {classes}: add some, or change the split."
        )
    weights = compute_class_weight("balanced", classes=np.arange(len(class_names)), y=np.asarray(train_labels))
    return [float(weight) for weight in weights]
