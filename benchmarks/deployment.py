"""Deployment figures of a rendered image-classification project, run inside that project.

    python deployment.py <package_name> <checkpoint> <requests per level> [serve]

Prints one JSON object (`serve` last: the serving figures only):
- `serve`: requests/s and p50/p99 latency of `python -m <package> serve` under 1, 8 and 32
  concurrent clients (each with its own keep-alive connection, in one client process), with
  server-side batching off (`--max_batch_size 1`) and on (the defaults);
- `onnx`: milliseconds per call of ONNX Runtime on the exported graph and of PyTorch eager
  (`model.infer` under inference_mode) on the same inputs, at batch sizes 1 and 64 (medians).
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import onnxruntime
import torch

CLIENTS = (1, 8, 32)
SERVERS = {"no batching": ["--max_batch_size", "1"], "batching (defaults)": []}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(port: int, server: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"serve exited with {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.5)
    sys.exit("serve did not start")


def load(port: int, body: bytes, clients: int, requests: int) -> dict[str, float]:
    """Send `requests` requests from `clients` threads at once; requests/s and latency percentiles (ms)."""

    def client(count: int) -> list[float]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        latencies = []
        for _ in range(count):
            start = time.perf_counter()
            connection.request("POST", "/predict", body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"status {response.status}")
            latencies.append(time.perf_counter() - start)
        return latencies

    shares = [requests // clients + (i < requests % clients) for i in range(clients)]
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        latencies = [latency for share in pool.map(client, shares) for latency in share]
    elapsed = time.perf_counter() - start
    milliseconds = np.array(latencies) * 1000
    return {
        "requests_per_s": len(latencies) / elapsed,
        "p50_ms": float(np.percentile(milliseconds, 50)),
        "p99_ms": float(np.percentile(milliseconds, 99)),
    }


def serve_figures(package: str, checkpoint: str, body: bytes, requests: int) -> dict:
    figures = {}
    for name, options in SERVERS.items():
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", package, "serve", "--ckpt_path", checkpoint, "--port", str(port), *options],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_for(port, server)
            load(port, body, 4, 40)  # warm-up
            figures[name] = {clients: load(port, body, clients, requests) for clients in CLIENTS}
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
    return figures


def per_call_ms(function, repeats: int) -> float:
    function()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def onnx_figures(package: str, checkpoint: str, image: Path) -> dict:
    model = __import__(package).load_model(checkpoint)
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(
            [sys.executable, "-m", package, "export", "--ckpt_path", checkpoint, "--output_dir", folder],
            check=True,
            capture_output=True,
        )
        session = onnxruntime.InferenceSession(str(Path(folder) / "model.onnx"))
        exporter = json.loads((Path(folder) / "model.json").read_text())["exporter"]
        figures = {"exporter": exporter}
        for batch_size in (1, 64):
            batch = model.collate([model.read_input(image)] * batch_size)
            feeds = {name: batch[name].numpy() for name in model.input_names}
            inputs = [batch[name] for name in model.input_names]
            onnx_ms = per_call_ms(lambda feeds=feeds: session.run(None, feeds), 200 if batch_size == 1 else 50)

            def eager(inputs: list = inputs) -> None:
                with torch.inference_mode():
                    model.infer(*inputs)

            figures[batch_size] = {
                "onnxruntime_ms": onnx_ms,
                "pytorch_ms": per_call_ms(eager, 200 if batch_size == 1 else 50),
            }
    return figures


def main() -> None:
    package, checkpoint, requests = sys.argv[1], sys.argv[2], int(sys.argv[3])
    image = sorted(Path("data").rglob("*.png"))[0]
    body = json.dumps({"image": base64.b64encode(image.read_bytes()).decode()}).encode()
    figures = {"serve": serve_figures(package, checkpoint, body, requests), "threads": torch.get_num_threads()}
    if sys.argv[4:] != ["serve"]:
        figures["onnx"] = onnx_figures(package, checkpoint, image)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
