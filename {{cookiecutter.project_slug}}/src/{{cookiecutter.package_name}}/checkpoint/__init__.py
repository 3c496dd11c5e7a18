"""What a checkpoint does on its own, with no config or data folder: load as a model, predict, export
to ONNX, serve over HTTP."""
