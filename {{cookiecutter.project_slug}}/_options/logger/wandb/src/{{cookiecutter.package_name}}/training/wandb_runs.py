"""One W&B run per command, also when several commands run in one process, through a W&B service of its own."""

from __future__ import annotations

import os

import wandb
from lightning.pytorch import Callback


class NewRunPerCommand(Callback):
    """Have each command (a Trainer, and the test that ends its fit) log to a W&B run of its own.

    Lightning's WandbLogger logs into the run that an earlier command of this process left open
    (the previous fold of `kfold`, commands called from Python). This callback is built with the
    command's Trainer, before its logger starts a run: it ends that earlier run then.

    The first command of a process also has its runs go to a W&B service (wandb-core) of the
    process's own, which ends with it, rather than to one that `WANDB_SERVICE` names: the service of
    the process that started this one (a script or notebook that ran a command itself, then runs
    another as a subprocess), or of `wandb beta core start`. A shared service keeps the id of every
    run it was given until that run finishes: a command killed outright (SIGKILL: out of memory, a
    lost node) never finishes its run, and `fit --ckpt_path last`, which goes on under that run's
    id, would be refused with "run ID ... is in use". The later commands of the process keep its
    service (W&B reads `WANDB_SERVICE` when a process starts its first run; the processes that
    `ddp_spawn` starts attach to the run through it).
    """

    # Whether no command of this process was built yet: a WANDB_SERVICE then is another process's.
    first_command = True

    def __init__(self) -> None:
        if wandb.run is not None:
            wandb.finish()
        if NewRunPerCommand.first_command:
            NewRunPerCommand.first_command = False
            os.environ.pop("WANDB_SERVICE", None)
