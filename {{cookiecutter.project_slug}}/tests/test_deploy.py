"""A checkpoint is a deployable model: the Python API predicts raw inputs with the checkpoint alone,
as the predict subcommand does with the training data gone, and in the mixed precision of GPUs; the
ONNX export agrees with it; and `serve` answers the same over HTTP, refusing bad requests with a
4xx status and a message."""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
import pytest

from {{ cookiecutter.package_name }} import load_model
from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.runs import run_dir

from .conftest import TrainedRun, assert_close_predictions, predicted_numbers
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

    answers = load_model(checkpoint).predict(sources)
    assert len(answers) == len(before) == len(sources)
    for row, answer in zip(before, answers, strict=True):
        same_prediction(row, answer)
    json.dumps(answers)  # what serve sends


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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def post(port: int, body: bytes) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/predict", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def wait_until_healthy(port: int, server: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, server.communicate()[0][-5000:]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"serve did not answer /health within {timeout} s")


@pytest.mark.slow
def test_serve_answers_like_the_api_and_refuses_bad_requests(
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
    server = subprocess.Popen(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}", "serve", "--ckpt_path", checkpoint, "--port", str(port)],
        cwd=elsewhere,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        wait_until_healthy(port, server, timeout=180)
        for body, answer in zip(requests, expected, strict=True):
            status, got = post(port, json.dumps(body).encode())
            assert status == 200, got
            assert close(got, answer), (got, answer)

        refused = [(json.dumps(body).encode(), message) for body, message in bad_requests()]
        refused += [(b"not json", ""), (b"[1, 2]", ""), (b'{"x": "' + b"y" * MAX_REQUEST_BYTES + b'"}', "too large")]
        for body, message in refused:
            status, got = post(port, body)
            assert 400 <= status < 500, (body[:80], status, got)
            assert message in str(got["detail"]), (body[:80], got)
        # The server goes on serving.
        status, got = post(port, json.dumps(requests[0]).encode())
        assert status == 200 and close(got, expected[0])
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
        moved.rename(data_dir)
