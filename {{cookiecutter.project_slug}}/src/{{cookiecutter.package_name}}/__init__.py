"""Training pipeline: data module, model and a LightningCLI to run them; `load_model` to predict
with a checkpoint alone."""

from .checkpoint.inference import load_model

__all__ = ["load_model"]
