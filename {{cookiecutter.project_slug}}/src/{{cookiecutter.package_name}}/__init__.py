"""Training pipeline: data module, model and a LightningCLI to run them."""
