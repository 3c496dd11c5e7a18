"""A checkpoint is a deployable model: the Python API predicts raw inputs with the checkpoint alone,
as the predict subcommand does with the training data gone, and in the mixed precision of GPUs; the
ONNX export agrees with it; and `serve` answers the same over HTTP, refusing each bad request alone
with a 4xx status and a message, and stops on SIGTERM with nothing left running."""

from __future__ import annotations

import contextlib
import csv
import http.client
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
import pytest

from {{ cookiecutter.package_name }} import load_model
from {{ cookiecutter.package_name }}.commands import main
from {{ cookiecutter.package_name }}.training.runs import run_dir

from .conftest import TrainedRun, assert_close_predictions, predicted_numbers
from .processes import free_port, wait_until_healthy
from .tiny_data import bad_requests, same_prediction, write_predict_inputs, write_tiny_dataset

pytestmark = pytest.mark.deploy
MAX_REQUEST_BYTES = 10_000_000  # serve's default


def predictions_csv(args: list[str]) -> list[dict[str, str]]:
    cli = main(["predict", *args, "--trainer.enable_progress_bar", "false"])
    with (run_dir(cli.trainer) / "predictions.csv").open() as file:
        return list(csv.DictReader(file))


def close(got: Any, expected: Any) -> bool:
    """Equal, numbers within a float32 rounding."""
    if isinstance(expected, dict):
        return isinstance(got, dict) and got.keys() == expected.keys() and all(close(got[k], expected[k]) for k in got)
    if isinstance(expected, list):
        return isinstance(got, list) and len(got) == len(expected) and all(map(close, got, expected))
    if isinstance(expected, float):
        return math.isclose(got, expected, rel_tol=1e-4, abs_tol=1e-6)
    return got == expected


def test_a_checkpoint_alone_predicts_as_before_without_its_data(
    trained_run: TrainedRun, data_args: list[str], tmp_path: Path
) -> None:
    checkpoint = str(trained_run.folder / "checkpoints" / "best.ckpt")
    predict_args, sources, _ = write_predict_inputs(tmp_path / "inputs")
    before = predictions_csv([*data_args, *predict_args, "--ckpt_path", checkpoint])

    # The training data gone (renamed classes would do the same): what the model needs is in the checkpoint.
    gone = write_tiny_dataset(tmp_path / "gone")
    shutil.rmtree(tmp_path / "gone")
    after = predictions_csv([*gone, *predict_args, "--ckpt_path", checkpoint])
    assert after == before

    model = load_model(checkpoint)
    answers = model.predict(sources)
    assert len(answers) == len(before) == len(sources)
    for row, answer in zip(before, answers, strict=True):
        same_prediction(row, answer)
    json.dumps(answers)  # what serve sends
    # One input, not in a list, gets its answer (a path or a text is not a list of characters).
    assert close(model.predict(sources[0]), answers[0])


def test_predict_in_bf16_mixed_precision_matches_float32(
    trained_run: TrainedRun, data_args: list[str], tmp_path: Path
) -> None:
    """What a GPU runs by default, on the CPU: bf16 autocast must not move predictions by more
    than 2 % of their range (probabilities: 2 points)."""
    predict_args, _, _ = write_predict_inputs(tmp_path / "inputs")
    args = [*data_args, *predict_args, "--ckpt_path", str(trained_run.folder / "checkpoints" / "best.ckpt")]
    assert_close_predictions(predicted_numbers(args, "bf16-mixed"), predicted_numbers(args, "32-true"))


@pytest.mark.slow
def test_the_onnx_export_agrees_with_the_checkpoint(trained_run: TrainedRun, tmp_path: Path) -> None:
    checkpoint = str(trained_run.folder / "checkpoints" / "best.ckpt")
    _, sources, _ = write_predict_inputs(tmp_path / "inputs")
    main(["export", "--ckpt_path", checkpoint, "--output_dir", str(tmp_path / "export")])
    info = json.loads((tmp_path / "export" / "model.json").read_text())
    assert info["exporter"] == "dynamo"
    model = load_model(checkpoint)
    described = {name: value for name, value in model.export_info().items() if name != "files"}
    assert {name: info[name] for name in described} == json.loads(json.dumps(described))
    session = onnxruntime.InferenceSession(str(tmp_path / "export" / "model.onnx"))
    assert [node.name for node in session.get_inputs()] == list(model.input_names)
    for batch_size in (1, 4):
        batch = model.collate([model.read_input(sources[i % len(sources)]) for i in range(batch_size)])
        exported = session.run(None, {name: batch[name].numpy() for name in model.input_names})[0]
        np.testing.assert_allclose(exported, model.infer_batch(batch).numpy(), rtol=1e-3, atol=1e-5)


def post(port: int, body: bytes, content_type: str | None = "application/json") -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": content_type} if content_type else {}
    try:
        connection.request("POST", "/predict", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def answered(port: int, request: bytes) -> bool:
    """Whether a new connection gets an answer to `request` within a second."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            connection.sendall(request)
            return connection.recv(100) != b""
    except OSError:  # refused, reset, or left waiting
        return False


def wait_for_line(log: Path, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text():
        assert time.monotonic() < deadline, f"serve did not log {text!r} within {timeout} s:\n{log.read_text()[-3000:]}"
        time.sleep(0.05)


def session_processes(session: int) -> list[str]:
    """The processes of a session (as `ps` shows them, from Linux's /proc), those exited left out."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # exited meanwhile
            continue
        state, _, _, process_session = text[text.rindex(")") + 2 :].split()[:4]
        if int(process_session) == session and state != "Z":
            found.append(f"{stat.parent.name} {command}")
    return found


def assert_one_sentence(detail: Any, body: bytes) -> None:
    """A refusal says what is wrong in a line of its own words: not the request, not a Python object."""
    assert isinstance(detail, str) and "\n" not in detail and len(detail) < 500, detail
    assert " object at 0x" not in detail, detail
    assert len(body) < 30 or body.decode(errors="replace")[:30] not in detail, detail


@pytest.mark.slow
def test_serve_answers_like_the_api_refuses_bad_requests_alone_and_stops_on_sigterm(
    trained_run: TrainedRun, data_dir: Path, tmp_path: Path
) -> None:
    _, sources, requests = write_predict_inputs(tmp_path / "inputs")
    expected = load_model(trained_run.folder / "checkpoints" / "best.ckpt").predict(sources)
    # The checkpoint alone, in a folder of its own, the training data moved away while it serves.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    checkpoint = shutil.copy(trained_run.folder / "checkpoints" / "best.ckpt", elsewhere / "model.ckpt")
    moved = data_dir.rename(tmp_path / "moved")
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "{{ cookiecutter.package_name }}", "serve", "--ckpt_path", checkpoint, "--port", str(port)],
            cwd=elsewhere,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_healthy(port, server, log, timeout=180)
        for body, answer in zip(requests, expected, strict=True):
            status, got = post(port, json.dumps(body).encode())
            assert status == 200, got
            assert close(got, answer), (got, answer)

        bad = [(json.dumps(body).encode(), message) for body, message in bad_requests()]
        refused = [(body, message, "application/json") for body, message in bad]
        refused += [
            (b"not json", "not JSON", "application/json"),
            (b"[1, 2]", "JSON object", "application/json"),
            (json.dumps(requests[0]).encode(), "Content-Type", None),
            (json.dumps(requests[0]).encode(), "Content-Type", "application/x-www-form-urlencoded"),
            (b'{"x": "' + b"y" * MAX_REQUEST_BYTES + b'"}', "too large", "application/json"),
        ]
        for body, message, content_type in refused:
            status, got = post(port, body, content_type)
            assert 400 <= status < 500, (body[:80], status, got)
            assert message in got["detail"], (body[:80], got)
            assert_one_sentence(got["detail"], body)

        # Sent at once, in batches of up to 16 (serve's default): each bad request is refused alone,
        # every good one answered.
        good = [(json.dumps(body).encode(), answer) for body, answer in zip(requests, expected, strict=True)]
        mixed = [bad[i // 3 % len(bad)] if i % 3 == 2 else good[i % len(good)] for i in range(24)]
        start = threading.Barrier(len(mixed))

        def send(body: bytes) -> tuple[int, Any]:
            start.wait(timeout=60)
            return post(port, body)

        with ThreadPoolExecutor(len(mixed)) as clients:
            results = list(clients.map(send, [body for body, _ in mixed]))
        for (body, wanted), (status, got) in zip(mixed, results, strict=True):
            if isinstance(wanted, str):  # a bad request, and what its message says
                assert 400 <= status < 500 and wanted in got["detail"], (body[:80], status, got)
                assert_one_sentence(got["detail"], body)
            else:
                assert status == 200 and close(got, wanted), (status, got, wanted)

        # Stopped as systemd, Docker and Kubernetes stop it: SIGTERM to its main process alone, a
        # request in flight (its body half sent).
        body = json.dumps(requests[0]).encode()
        in_flight = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        in_flight.putrequest("POST", "/predict")
        in_flight.putheader("Content-Type", "application/json")
        in_flight.putheader("Content-Length", str(len(body)))
        in_flight.endheaders(body[:10])
        os.kill(server.pid, signal.SIGTERM)
        stopped = time.monotonic()
        wait_for_line(log, "Waiting for connections to close", timeout=10)
        assert not answered(port, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        in_flight.send(body[10:])
        response = in_flight.getresponse()
        got = json.loads(response.read())
        assert response.status == 200 and close(got, expected[0]), (response.status, got)
        in_flight.close()
        while session_processes(server.pid) and time.monotonic() < stopped + 10:
            time.sleep(0.1)
        assert not session_processes(server.pid), (session_processes(server.pid), log.read_text()[-3000:])
        assert server.wait(timeout=1) == 0
        with socket.socket() as again:  # as a server started again binds it
            again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            again.bind(("127.0.0.1", port))
            again.listen()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=60)
        moved.rename(data_dir)
