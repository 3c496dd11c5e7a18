"""`serve`: a checkpoint behind an HTTP API (LitServe): `GET /health` and `POST /predict`."""

# No `from __future__ import annotations`: LitServe reads `decode_request`'s annotation as a type.
import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import litserve as ls
import torch
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ..training.runs import RUNS_DIR, find_checkpoint
from .inference import load_model

logger = logging.getLogger(__name__)

# At a stop, requests in flight get this long to be answered (LitServe's default: 30 s); every
# process of the server is gone a few seconds later: before Docker's SIGKILL, 10 s after its SIGTERM.
STOP_TIMEOUT = 5.0
JSON_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "true or false"}


@dataclass(frozen=True)
class Refused:
    """A request that gets `status` and `detail` alone: its batch is predicted without it."""

    status: int
    detail: str


class ModelAPI(ls.LitAPI):
    """Answer `POST /predict` with the checkpoint's model: the request's JSON body is one raw input
    (see the model's `parse_request`), read and preprocessed as `predict` reads it; a request the
    model cannot read gets 422 and a message saying why. With `max_batch_size` > 1, requests that
    arrive within `batch_timeout` seconds of each other are predicted as one batch, less those refused.

    LitServe answers every request of a batch with the error of any one of them: each request is read
    on its own here, and one it cannot read is carried through the batch as `Refused`, to be
    answered alone.
    """

    def __init__(self, checkpoint: str, max_batch_size: int, batch_timeout: float) -> None:
        super().__init__(max_batch_size=max_batch_size, batch_timeout=batch_timeout)
        self.checkpoint = checkpoint

    def setup(self, device: str) -> None:
        self.model = load_model(self.checkpoint, device)

    def decode_request(self, request: dict) -> dict[str, torch.Tensor] | Refused:
        try:
            return self.model.read_input(self.model.parse_request(request))
        except ValueError as error:
            return Refused(422, str(error))
        except Exception:
            logger.exception("Reading a request failed")
            return Refused(500, "Internal server error")

    def batch(self, samples: list[dict[str, torch.Tensor] | Refused]) -> list[dict[str, torch.Tensor] | Refused]:
        return samples  # collated by `predict`, less those refused

    def predict(self, samples: list[dict[str, torch.Tensor] | Refused]) -> list[dict | Refused] | dict | Refused:
        # Without batching LitServe passes one decoded request, and expects one answer.
        if self.max_batch_size == 1:
            return self.answer([samples])[0]
        return self.answer(samples)

    @torch.inference_mode()
    def answer(self, samples: list[dict[str, torch.Tensor] | Refused]) -> list[dict | Refused]:
        """The model's answer to each sample it could read, each refused one in its place."""
        readable = [sample for sample in samples if not isinstance(sample, Refused)]
        if not readable:
            return samples
        batch = self.model.collate(readable)
        answers = iter(self.model.answers(self.model.infer_batch(batch), batch))
        return [sample if isinstance(sample, Refused) else next(answers) for sample in samples]

    def unbatch(self, results: list[dict | Refused]) -> list[dict | Refused]:
        return results

    def encode_response(self, result: dict | Refused) -> JSONResponse:
        # A response, not an exception: LitServe would send an exception to the whole batch.
        if isinstance(result, Refused):
            return JSONResponse({"detail": result.detail}, status_code=result.status)
        try:
            return JSONResponse(result)
        except ValueError:  # NaN or infinity, which JSON cannot hold
            logger.exception("An answer is not JSON")
            return JSONResponse({"detail": "Internal server error"}, status_code=500)


def refuse_unreadable_body(request: Request, error: RequestValidationError) -> JSONResponse:
    """What is wrong with a body that is not a JSON object, in a sentence: FastAPI's own answer
    lists its errors with the body itself, which can be megabytes."""
    first = error.errors()[0]
    body = first.get("input")
    if first["type"] == "json_invalid":
        status, detail = 422, f"The request body is not JSON: {first['ctx']['error']} at character {first['loc'][-1]}."
    elif isinstance(body, bytes):  # FastAPI reads a body as JSON by its Content-Type alone
        content_type = request.headers.get("content-type")
        sent = f"not {content_type}" if content_type else "the request has none"
        status, detail = 415, f"The request body must be JSON, with Content-Type: application/json ({sent})."
    elif first["type"] == "missing":
        status, detail = 422, "The request has no body: it must be a JSON object."
    else:
        status, detail = 422, f"The request body must be a JSON object, not {JSON_KINDS.get(type(body), 'null')}."
    return JSONResponse({"detail": detail}, status_code=status)


@contextmanager
def sigterm_as_ctrl_c() -> Iterator[None]:
    """SIGTERM to this process raises KeyboardInterrupt, as Ctrl+C does: LitServe then stops its API
    servers (they answer the requests in flight) and its inference workers, where SIGTERM would end
    this process alone, its workers left running. Processes forked meanwhile (the API servers) keep
    the handler this process had."""
    if threading.current_thread() is not threading.main_thread():  # the one thread that takes signals
        yield
        return
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    os.register_at_fork(after_in_child=lambda: signal.signal(signal.SIGTERM, previous))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def stop_children() -> None:
    """End the processes LitServe started and left running: a stop while it started them leaves them."""
    children = multiprocessing.active_children()
    for child in children:
        child.terminate()
    for child in children:
        child.join(STOP_TIMEOUT)
        if child.is_alive():
            child.kill()


def serve(
    ckpt_path: str,
    host: str = "127.0.0.1",
    port: int = 8000,
    max_batch_size: int = 16,
    batch_timeout: float = 0.001,
    workers_per_device: int = 1,
    accelerator: str = "auto",
    max_request_bytes: int = 10_000_000,
    runs_dir: str = RUNS_DIR,
) -> None:
    """Serve a checkpoint over HTTP: `GET /health`, and `POST /predict` with a JSON body.

    SIGTERM (what systemd, Docker and Kubernetes send) or SIGINT (Ctrl+C) to this process stops it:
    no new request is taken, those in flight are answered (for 5 s at most), and every process of
    the server ends.

    Args:
        ckpt_path: The checkpoint, e.g. `runs/<project>/version_0/checkpoints/best.ckpt`, or `best` or
            `last` (as `fit` names them) under `runs_dir`.
        host: The address to listen on: 127.0.0.1 answers this machine only; 0.0.0.0 every network.
        port: The port to listen on.
        max_batch_size: Requests predicted together at most (1: no batching). Batches pay where the
            model's own work outweighs a request's handling: large models, GPUs, many clients.
        batch_timeout: Seconds a request waits for others to fill a batch: what batching costs a
            lone request.
        workers_per_device: Model copies per device (CPU or GPU), each in a process of its own.
        accelerator: auto (a GPU where there is one), cpu or cuda.
        max_request_bytes: Larger request bodies are refused with status 413.
        runs_dir: The runs folder (`fit`'s `--trainer.default_root_dir`), where `best` and `last` are looked for.
    """
    api = ModelAPI(find_checkpoint(ckpt_path, runs_dir), max_batch_size=max_batch_size, batch_timeout=batch_timeout)
    server = ls.LitServer(
        api, accelerator=accelerator, workers_per_device=workers_per_device, max_payload_size=max_request_bytes
    )
    server.uvicorn_graceful_timeout = STOP_TIMEOUT
    server.app.add_exception_handler(RequestValidationError, refuse_unreadable_body)
    with sigterm_as_ctrl_c():
        try:
            server.run(host=host, port=port, generate_client_file=False)
        except KeyboardInterrupt:
            pass  # stopped while starting (LitServe stops itself once started): no traceback
        finally:
            stop_children()
