"""One W&B run per command, also when several commands run in one process."""

from __future__ import annotations

import wandb
from lightning.pytorch import Callback


class NewRunPerCommand(Callback):
    """Have each command (a Trainer, and the test that ends its fit) log to a W&B run of its own.

    Lightning's WandbLogger logs into the run that an earlier command of this process left open
    (the previous fold of `kfold`, commands called from Python). This callback is built with the
    command's Trainer, before its logger starts a run: it ends that earlier run then.
    """

    def __init__(self) -> None:
        if wandb.run is not None:
            wandb.finish()
