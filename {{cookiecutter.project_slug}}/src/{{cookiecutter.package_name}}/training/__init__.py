"""Training: the LightningCLI and its run folders, and the commands that train several runs (sweep,
repeat, cv) or put finished runs side by side (compare)."""
