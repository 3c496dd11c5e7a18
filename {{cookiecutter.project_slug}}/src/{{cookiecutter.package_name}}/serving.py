"""`serve`: a checkpoint behind an HTTP API (LitServe): `GET /health` and `POST /predict`."""

# No `from __future__ import annotations`: LitServe reads `decode_request`'s annotation as a type.
import litserve as ls
import torch
from fastapi import HTTPException

from .inference import load_model
from .runs import RUNS_DIR, find_checkpoint


class ModelAPI(ls.LitAPI):
    """Answer `POST /predict` with the checkpoint's model: the request's JSON body is one raw input
    (see the model's `parse_request`), read and preprocessed as `predict` reads it; a request the
    model cannot read gets 422 and a message saying why. With `max_batch_size` > 1, requests that
    arrive within `batch_timeout` seconds of each other are predicted as one batch.
    """

    def __init__(self, checkpoint: str, max_batch_size: int, batch_timeout: float) -> None:
        super().__init__(max_batch_size=max_batch_size, batch_timeout=batch_timeout)
        self.checkpoint = checkpoint

    def setup(self, device: str) -> None:
        self.model = load_model(self.checkpoint, device)

    def decode_request(self, request: dict) -> dict[str, torch.Tensor]:
        try:
            return self.model.read_input(self.model.parse_request(request))
        except ValueError as error:
            raise HTTPException(status_code=422, detail=str(error)) from None

    def batch(self, samples: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        return self.model.collate(samples)

    def predict(self, batch: dict[str, torch.Tensor]) -> list[dict] | dict:
        # Without batching LitServe passes one decoded request, and expects one answer.
        single = self.max_batch_size == 1
        if single:
            batch = self.model.collate([batch])
        with torch.inference_mode():
            answers = self.model.answers(self.model.infer_batch(batch), batch)
        return answers[0] if single else answers

    def unbatch(self, answers: list[dict]) -> list[dict]:
        return answers

    def encode_response(self, answer: dict) -> dict:
        return answer


def serve(
    ckpt_path: str,
    host: str = "127.0.0.1",
    port: int = 8000,
    max_batch_size: int = 16,
    batch_timeout: float = 0.001,
    workers_per_device: int = 1,
    accelerator: str = "auto",
    max_request_bytes: int = 10_000_000,
) -> None:
    """Serve a checkpoint over HTTP: `GET /health`, and `POST /predict` with a JSON body.

    Args:
        ckpt_path: The checkpoint, e.g. `runs/<project>/version_0/checkpoints/best.ckpt`, or `best` or
            `last`: the newest `best.ckpt` or `last.ckpt` under `runs/`.
        host: The address to listen on: 127.0.0.1 answers this machine only; 0.0.0.0 every network.
        port: The port to listen on.
        max_batch_size: Requests predicted together at most (1: no batching). Batches pay where the
            model's own work outweighs a request's handling: large models, GPUs, many clients.
        batch_timeout: Seconds a request waits for others to fill a batch: what batching costs a
            lone request.
        workers_per_device: Model copies per device (CPU or GPU), each in a process of its own.
        accelerator: auto (a GPU where there is one), cpu or cuda.
        max_request_bytes: Larger request bodies are refused with status 413.
    """
    api = ModelAPI(find_checkpoint(ckpt_path, RUNS_DIR), max_batch_size=max_batch_size, batch_timeout=batch_timeout)
    server = ls.LitServer(
        api, accelerator=accelerator, workers_per_device=workers_per_device, max_payload_size=max_request_bytes
    )
    server.run(host=host, port=port, generate_client_file=False)
