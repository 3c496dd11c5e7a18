"""`serve` under load, one request in ten bad: does the server hold up?

    python benchmarks/serving_load.py [--requests 1000] [--total 10000] [--seconds 120]

Renders the default project (image classification) into a temporary folder, trains its model for
one epoch on the bundled digits, and starts `python -m digit_classifier serve --ckpt_path best`
with its defaults (batches of up to 16). Then, from one client process on the same machine (each
client a thread with its own keep-alive connection to 127.0.0.1):
- `--requests` requests at each of 1, 8, 32 and 64 concurrent clients, every tenth request of a
  client a bad one (by turns: not base64, bytes that are no image, no "image" field): requests/s
  of all of them, p50 and p99 latency of the good ones, good requests that failed (not 200, or an
  answer unlike the model's), bad ones that did not get a 4xx;
- then more requests at 32 clients, up to `--total` in all; the server's memory before the first
  request (after a warm-up) and after each level and the last request: RSS summed over its
  processes (shared pages counted in each) and PSS (shared pages split among them);
- last, SIGTERM to the server's main process alone, as Docker or Kubernetes stop it: the seconds
  until none of its processes is left.

Each level stops at `--seconds` even if its requests are not all sent. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from deployment import free_port, wait_for
from run import PACKAGE, clean_env, render

CLIENTS = (1, 8, 32, 64)
SOAK_CLIENTS = 32
BAD_EVERY = 10
BAD_BODIES = [
    json.dumps({"image": "not base64!"}).encode(),
    json.dumps({"image": base64.b64encode(b"no image at all").decode()}).encode(),
    json.dumps({"picture": "iVBORw0KGgo="}).encode(),
]


def session_processes(session: int) -> list[int]:
    """The live processes of a session, from Linux's /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        state, _, _, process_session = text[text.rindex(")") + 2 :].split()[:4]
        if int(process_session) == session and state != "Z":
            found.append(int(stat.parent.name))
    return found


def memory_mb(session: int) -> dict[str, float]:
    """RSS and PSS summed over the session's processes (MB), and how many there are."""
    rss = pss = 0
    processes = session_processes(session)
    for pid in processes:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        fields = {line.split(":")[0]: int(line.split()[1]) for line in rollup.splitlines()[1:]}
        rss, pss = rss + fields["Rss"], pss + fields["Pss"]
    return {"rss_mb": rss / 1024, "pss_mb": pss / 1024, "processes": len(processes)}


def same_answer(got: dict, expected: dict) -> bool:
    """The same label, and probabilities within float32 rounding (batches of other sizes round otherwise)."""
    return got["label"] == expected["label"] and all(
        abs(got["probabilities"][name] - value) < 1e-4 for name, value in expected["probabilities"].items()
    )


def load(port: int, good: bytes, answer: dict, clients: int, requests: int, seconds: float) -> dict:
    """`requests` requests from `clients` threads at once, every tenth of a client's bad."""
    deadline = time.monotonic() + seconds

    def client(count: int) -> dict:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        latencies, good_failed, bad_not_refused, sent, example = [], 0, 0, 0, None
        for index in range(count):
            if time.monotonic() > deadline:
                break
            bad = index % BAD_EVERY == BAD_EVERY - 1
            body = BAD_BODIES[index // BAD_EVERY % len(BAD_BODIES)] if bad else good
            start = time.perf_counter()
            try:
                connection.request("POST", "/predict", body=body, headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                status, payload = response.status, response.read()
            except OSError:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                status, payload = None, b""
            elapsed = time.perf_counter() - start
            sent += 1
            if bad:
                bad_not_refused += not (status and 400 <= status < 500)
            elif status == 200 and same_answer(json.loads(payload), answer):
                latencies.append(elapsed)
            else:
                good_failed += 1
                example = example or f"{status}: {payload[:300]!r}"
        connection.close()
        return {
            "latencies": latencies,
            "good_failed": good_failed,
            "bad_not_refused": bad_not_refused,
            "sent": sent,
            "example": example,
        }

    shares = [requests // clients + (i < requests % clients) for i in range(clients)]
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(client, shares))
    elapsed = time.perf_counter() - start
    latencies = np.array([latency for result in results for latency in result["latencies"]]) * 1000
    sent = sum(result["sent"] for result in results)
    return {
        "sent": sent,
        "requests_per_s": sent / elapsed,
        "good_p50_ms": float(np.percentile(latencies, 50)) if len(latencies) else float("nan"),
        "good_p99_ms": float(np.percentile(latencies, 99)) if len(latencies) else float("nan"),
        "good_failed": sum(result["good_failed"] for result in results),
        "bad_not_refused": sum(result["bad_not_refused"] for result in results),
        "failed_example": next((result["example"] for result in results if result["example"]), None),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000, help="requests per level of concurrency")
    parser.add_argument("--total", type=int, default=10_000, help="requests in all, between the memory readings")
    parser.add_argument("--seconds", type=float, default=120, help="time limit of each level")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        (scratch / "home").mkdir()
        project, _ = render("image_classification", scratch / "project")
        env = clean_env(scratch / "home", project)
        # A checkpoint to serve: one epoch of the default model on the bundled digits.
        fit = [sys.executable, "-m", PACKAGE, "fit", "--trainer.max_epochs", "1"]
        subprocess.run(fit, cwd=project, env=env, check=True, capture_output=True)
        image = sorted((project / "data").rglob("*.png"))[0]
        good = json.dumps({"image": base64.b64encode(image.read_bytes()).decode()}).encode()

        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", PACKAGE, "serve", "--ckpt_path", "best", "--port", str(port)],
            cwd=project,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_for(port, server)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            connection.request("POST", "/predict", body=good, headers={"Content-Type": "application/json"})
            answer = json.loads(connection.getresponse().read())
            connection.close()
            load(port, good, answer, 4, 40, args.seconds)  # warm-up
            load_before = os.getloadavg()[0]
            sent, memory, levels = 0, {0: memory_mb(server.pid)}, {}
            for clients in CLIENTS:
                levels[clients] = load(port, good, answer, clients, args.requests, args.seconds)
                sent += levels[clients]["sent"]
                memory[sent] = memory_mb(server.pid)
            soak = load(port, good, answer, SOAK_CLIENTS, max(0, args.total - sent), args.seconds * 5)
            sent += soak["sent"]
            memory[sent] = memory_mb(server.pid)
            load_after = os.getloadavg()[0]
            os.kill(server.pid, signal.SIGTERM)
            stop = time.monotonic()
            while session_processes(server.pid) and time.monotonic() < stop + 60:
                time.sleep(0.05)
            stopped_s, left = time.monotonic() - stop, len(session_processes(server.pid))
        finally:
            if server.poll() is None or session_processes(server.pid):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=60)

    print(
        f"Machine: {os.cpu_count()} CPU cores (the client threads share them with the server; load average "
        f"{load_before:.1f} before the requests, {load_after:.1f} after), serve defaults (batches of up to 16), "
        f"one request in {BAD_EVERY} bad\n"
    )
    print("| clients | requests | requests/s | good p50 (ms) | good p99 (ms) | good failed | bad not refused (4xx) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for clients, level in [*levels.items(), (f"{SOAK_CLIENTS} (until {sent} in all)", soak)]:
        print(
            f"| {clients} | {level['sent']} | {level['requests_per_s']:.0f} | {level['good_p50_ms']:.1f} "
            f"| {level['good_p99_ms']:.1f} | {level['good_failed']} | {level['bad_not_refused']} |"
        )
    print("\n| server memory, after requests | processes | RSS, summed (MB) | PSS, summed (MB) |")
    print("| --- | --- | --- | --- |")
    for count, figures in memory.items():
        print(f"| {count} | {figures['processes']} | {figures['rss_mb']:.0f} | {figures['pss_mb']:.0f} |")
    first, last = memory[0], memory[sent]
    print(f"| change | | {last['rss_mb'] - first['rss_mb']:+.0f} | {last['pss_mb'] - first['pss_mb']:+.0f} |")
    for clients, level in [*levels.items(), ("soak", soak)]:
        if level["failed_example"]:
            print(f"\nA good request that failed, {clients} clients: {level['failed_example']}")
    print(f"\nSIGTERM to the main process: all processes gone after {stopped_s:.1f} s ({left} left)")


if __name__ == "__main__":
    main()
