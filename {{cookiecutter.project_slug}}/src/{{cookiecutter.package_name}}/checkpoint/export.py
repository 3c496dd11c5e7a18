"""`export`: a checkpoint to an ONNX graph, and what the graph cannot hold described beside it."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import torch
from torch import nn

from ..models.supervised import SupervisedModule
from ..training.runs import RUNS_DIR, find_checkpoint
from .inference import load_model

# Above this size an ONNX file cannot hold its weights (protobuf's 2 GB limit): they go beside it.
INLINE_WEIGHTS_BYTES = 1 << 30


class InferenceGraph(nn.Module):
    """The model's `infer`, its inputs to its predictions, as a module to export."""

    def __init__(self, model: SupervisedModule) -> None:
        super().__init__()
        self.model = model

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self.model.infer(*inputs)


def export(ckpt_path: str, output_dir: str | None = None, runs_dir: str = RUNS_DIR) -> Path:
    """Export a checkpoint to ONNX: `model.onnx` and `model.json` in `output_dir` (and the files the
    model needs beside the graph, such as a tokenizer). The graph takes batches of any size and
    includes the numeric preprocessing (scaling, normalization); `model.json` says what a consumer
    does before it (decode, resize, tokenize, encode categories) and what its outputs mean.

    Args:
        ckpt_path: The checkpoint, e.g. `runs/<project>/version_0/checkpoints/best.ckpt`, or `best` or
            `last` (as `fit` names them) under `runs_dir`.
        output_dir: Where to write. None: `export/` in the checkpoint's run folder.
        runs_dir: The runs folder (`fit`'s `--trainer.default_root_dir`), where `best` and `last` are looked for.
    """
    checkpoint = Path(find_checkpoint(ckpt_path, runs_dir))
    if output_dir is None:
        run = checkpoint.parent.parent if checkpoint.parent.name == "checkpoints" else checkpoint.parent
        output_dir = str(run / "export")
    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    model = load_model(checkpoint)
    info = model.export_info()
    path = folder / "model.onnx"
    exporter = to_onnx(model, info, path)
    for name, content in info.pop("files", {}).items():
        (folder / name).write_text(content)
    info |= {"exporter": exporter, "checkpoint": str(checkpoint)}
    (folder / "model.json").write_text(json.dumps(info, indent=2) + "\n")
    print(f"Exported {path} ({exporter} exporter) and {folder / 'model.json'}")
    return path


def to_onnx(model: SupervisedModule, info: dict, path: Path) -> str:
    """Write `model.infer` to `path` with the dynamo exporter, or the TorchScript one where dynamo
    fails; return which one wrote it. Axes named in the inputs' shapes (`batch`, `length`) stay dynamic."""
    graph = InferenceGraph(model).eval()
    inputs = model.example_inputs(batch_size=2)
    input_names = [spec["name"] for spec in info["inputs"]]
    output_names = [spec["name"] for spec in info["outputs"]]
    # {tensor name: {axis: axis name}} for the inputs and outputs
    named_axes = {
        spec["name"]: {axis: name for axis, name in enumerate(spec["shape"]) if isinstance(name, str)}
        for spec in info["inputs"] + info["outputs"]
    }
    external_data = sum(p.numel() * p.element_size() for p in model.parameters()) > INLINE_WEIGHTS_BYTES
    dims = {name: torch.export.Dim(name) for axes in named_axes.values() for name in axes.values()}
    try:
        torch.onnx.export(
            graph,
            inputs,
            str(path),
            input_names=input_names,
            output_names=output_names,
            dynamo=True,
            # By the name of `InferenceGraph.forward`'s *inputs.
            dynamic_shapes={"inputs": tuple({a: dims[n] for a, n in named_axes[t].items()} for t in input_names)},
            external_data=external_data,
        )
        return "dynamo"
    except Exception as error:  # the dynamo exporter does not cover every operation yet
        warnings.warn(f"The dynamo exporter failed ({error}); exporting with the TorchScript exporter.", stacklevel=2)
    torch.onnx.export(
        graph,
        inputs,
        str(path),
        input_names=input_names,
        output_names=output_names,
        dynamo=False,
        dynamic_axes=named_axes,
    )
    return "torchscript"
