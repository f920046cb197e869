"""Load-test ``pmkg serve`` from a second process on loopback and print latency and throughput per endpoint.

    python bench/bench_service.py [--graph embedded://pmkg-data/demo-graph] [--models-dir pmkg-data/demo/models]
                                  [--rate 200] [--seconds 20] [--batch 100] [--batch-rate 50]

Run ``pmkg demo`` first: it builds the graph, the model and the PREDICTED_TREATS edges this uses.

Protocol. The script starts ``pmkg serve`` as a subprocess (one uvicorn worker, as deployed) and waits for
``/readyz``. This process is the load generator: an open-loop schedule (request ``i`` is due at
``t0 + i / rate``, whether or not earlier ones have returned) over a pool of keep-alive HTTP/1.1 connections,
with a minimal asyncio client so the generator takes little of the CPU it shares with the server. Latency is
measured from the scheduled time to the last byte of the response, so queueing behind a slow request counts
(no coordinated omission). Each phase is bounded: ``rate x seconds`` requests, after a one-second warm-up that
is not counted. Diseases and drugs are drawn uniformly (seeded) from the graph. The phases:

- ``GET /healthz``: the HTTP stack alone (no key, no model), the floor under every other number;
- ``GET /v1/diseases/{curie}/candidates?k=10``: top-10 candidates from the precomputed scores in memory;
- ``POST /v1/links/score`` with ``--batch`` random pairs per request at ``--batch-rate``;
- the same candidates call closed-loop, ``--connections`` requests in flight, to find the saturation throughput;
- ``POST /v1/queries/repurposing_candidates``: the same top-10 read from the graph (PREDICTED_TREATS written by
  ``pmkg demo``), the baseline for the in-memory path. It runs last, so a graph server still catching up
  cannot slow the others.
- with ``--patient-model DIR``: ``POST /v1/patients/recommendations?k=10`` at ``--patient-rate``, each body one
  synthetic patient of ``--cohort`` (``pmkg cohort synth``): its phenopacket and its single-sample VCF, drawn
  from ``--patients`` preloaded patients; not stored. The server then loads that model with ``--patient-data-dir``.

Server CPU per request is the server process's user+system CPU time over the phase divided by its requests.
A second server started with ``PMKG_API_GC_FREEZE=0`` repeats the open-loop candidates phase: the baseline for
``gc.freeze()`` at start-up (skip it with ``--no-gc-baseline``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HOST = "127.0.0.1"


@dataclass
class Request:
    method: str
    path: str
    body: bytes | None = None


class Connection:
    """One keep-alive HTTP/1.1 connection; enough of the protocol for this server's JSON responses."""

    def __init__(self, port: int, key: str) -> None:
        self.port, self.key = port, key
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, request: Request) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        head = f"{request.method} {request.path} HTTP/1.1\r\nHost: {HOST}\r\nX-API-Key: {self.key}\r\n"
        if request.body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(request.body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + (request.body or b""))
        header = await self.reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in header.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return int(header[9:12])


@dataclass
class PhaseResult:
    name: str
    offered: str
    latencies_ms: np.ndarray
    failures: int
    seconds: float
    server_cpu_s: float
    pairs_per_request: int = 1

    def row(self) -> dict[str, str]:
        n = len(self.latencies_ms)
        p50, p99 = np.percentile(self.latencies_ms, [50, 99]) if n else (float("nan"), float("nan"))
        rate = n / self.seconds if self.seconds else 0.0
        row = {
            "endpoint": self.name,
            "load": self.offered,
            "requests": f"{n:,}",
            "non-2xx": str(self.failures),
            "p50 ms": f"{p50:.1f}",
            "p99 ms": f"{p99:.1f}",
            "max ms": f"{self.latencies_ms.max():.1f}" if n else "nan",
            "<= 50 ms": f"{(self.latencies_ms <= 50).mean():.1%}" if n else "nan",
            "achieved req/s": f"{rate:,.0f}",
            "server CPU ms/req": f"{1000 * self.server_cpu_s / n:.2f}" if n else "nan",
        }
        if self.pairs_per_request > 1:
            row["achieved req/s"] += f" ({rate * self.pairs_per_request:,.0f} pairs/s)"
        return row


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


async def open_loop(port: int, key: str, make: Callable[[], Request], rate: float, seconds: float,
                    connections: int) -> tuple[np.ndarray, int, float]:
    """Send ``rate * seconds`` requests on schedule; return latencies (ms, from the scheduled time), failures."""
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(Connection(port, key))
    total = int(rate * seconds)
    latencies = np.empty(total)
    failures = 0

    async def one(i: int, due: float) -> None:
        nonlocal failures
        conn = await pool.get()
        try:
            status = await conn.send(make())
        except (OSError, asyncio.IncompleteReadError):
            status = 0
            conn.writer = None
        finally:
            pool.put_nowait(conn)
        latencies[i] = 1000 * (time.perf_counter() - due)
        if not 200 <= status < 300:
            failures += 1

    tasks = []
    t0 = time.perf_counter() + 0.05
    for i in range(total):
        due = t0 + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    return latencies, failures, time.perf_counter() - t0


async def closed_loop(port: int, key: str, make: Callable[[], Request], seconds: float,
                      connections: int) -> tuple[np.ndarray, int, float]:
    """``connections`` clients, each sending its next request as soon as the last one returns."""
    latencies: list[float] = []
    failures = 0
    stop = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal failures
        conn = Connection(port, key)
        while time.perf_counter() < stop:
            start = time.perf_counter()
            status = await conn.send(make())
            latencies.append(1000 * (time.perf_counter() - start))
            failures += not 200 <= status < 300

    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(connections)))
    return np.asarray(latencies), failures, time.perf_counter() - t0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_ready(port: int, server: subprocess.Popen, log: Path, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"pmkg serve exited with {server.returncode}; its log:\n{log.read_text()}")
        try:
            with socket.create_connection((HOST, port), timeout=2) as sock:
                sock.sendall(f"GET /readyz HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
                if sock.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.5)
    sys.exit(f"pmkg serve was not ready after {timeout:.0f} s; its log:\n{log.read_text()}")


def node_ids(graph: str) -> tuple[list[str], list[str]]:
    from pmkg.kg.store import GraphStore

    with GraphStore.connect(graph) as store:
        drugs = store.run("MATCH (n:Drug) RETURN collect(n.id) AS ids")[0]["ids"]
        diseases = store.run("MATCH (n:Disease) RETURN collect(n.id) AS ids")[0]["ids"]
    return sorted(drugs), sorted(diseases)


def cohort_bodies(cohort: Path, n: int) -> list[bytes]:
    """Request bodies for the first ``n`` patients of a ``pmkg cohort synth`` folder: phenopacket + own VCF column."""
    import gzip

    with gzip.open(cohort / "cohort.vcf.gz", "rt") as fh:
        rows = [line.rstrip("\n").split("\t") for line in fh]
    meta = [r for r in rows if r[0].startswith("##")]
    header = next(r for r in rows if r[0] == "#CHROM")
    records = [r for r in rows if not r[0].startswith("#")]
    bodies = []
    for column, sample in enumerate(header[9 : 9 + n], start=9):
        lines = ["\t".join(r) for r in meta] + ["\t".join(header[:9] + [sample])]
        lines += ["\t".join(r[:9] + [r[column]]) for r in records]
        packet = json.loads((cohort / "phenopackets" / f"{sample}.json").read_text())
        bodies.append(json.dumps({"phenopacket": packet, "vcf": "\n".join(lines) + "\n"}).encode())
    return bodies


@contextlib.contextmanager
def running_server(args: argparse.Namespace, key: str, **env_extra: str) -> Iterator[tuple[subprocess.Popen, int]]:
    """``pmkg serve`` in a subprocess, ready; stopped (SIGTERM, as in production) on exit."""
    port = free_port()
    model_args = ["--model", str(args.model)] if args.model else ["--models-dir", str(args.models_dir)]
    if args.patient_model:
        model_args += ["--patient-model", str(args.patient_model), "--patient-data-dir", str(args.patient_data_dir)]
    command = [sys.executable, "-c", "from pmkg.cli import main; main()", "serve", "--graph", args.graph,
               "--port", str(port), *model_args]
    env = {**os.environ, "PMKG_API_KEYS": key, "OMP_WAIT_POLICY": "PASSIVE", **env_extra}
    log = Path(tempfile.mkdtemp(prefix="bench-service-")) / "serve.log"
    with open(log, "w") as log_fh:
        server = subprocess.Popen(command, env=env, stdout=log_fh, stderr=subprocess.STDOUT)
    try:
        wait_ready(port, server, log)
        yield server, port
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--graph", default="embedded://pmkg-data/demo-graph")
    ap.add_argument("--models-dir", type=Path, default=Path("pmkg-data/demo/models"))
    ap.add_argument("--model", type=Path, help="a model directory (default: the latest under --models-dir)")
    ap.add_argument("--rate", type=float, default=200.0, help="offered requests/s for the open-loop phases")
    ap.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    ap.add_argument("--batch", type=int, default=100, help="pairs per batch-scoring request")
    ap.add_argument("--batch-rate", type=float, default=50.0, help="batch-scoring requests/s")
    ap.add_argument("--connections", type=int, default=8, help="keep-alive connections (closed loop: in flight)")
    ap.add_argument("--no-gc-baseline", action="store_true", help="skip the second server without gc.freeze()")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--patient-model", type=Path, help="drug-patient model dir (pmkg patients train): patient phase")
    ap.add_argument("--patient-data-dir", type=Path, default=Path("../shared/data"), help="folder holding cpic/")
    ap.add_argument("--cohort", type=Path, default=Path("pmkg-data/cohort"), help="output of pmkg cohort synth")
    ap.add_argument("--patients", type=int, default=50, help="patients preloaded from --cohort")
    ap.add_argument("--patient-rate", type=float, default=10.0, help="patient requests/s")
    args = ap.parse_args()

    load_before = os.getloadavg()[0]
    key = secrets.token_urlsafe(24)
    rng = random.Random(args.seed)
    drugs: list[str] = []
    diseases: list[str] = []

    def candidates() -> Request:
        return Request("GET", f"/v1/diseases/{rng.choice(diseases)}/candidates?k=10")

    def graph_candidates() -> Request:
        body = {"params": {"disease": rng.choice(diseases), "k": 10}}
        return Request("POST", "/v1/queries/repurposing_candidates", json.dumps(body).encode())

    def batch() -> Request:
        pairs = [{"drug": rng.choice(drugs), "disease": rng.choice(diseases)} for _ in range(args.batch)]
        return Request("POST", "/v1/links/score", json.dumps({"pairs": pairs}).encode())

    def health() -> Request:
        return Request("GET", "/healthz")

    patient_bodies = cohort_bodies(args.cohort, args.patients) if args.patient_model else []

    def patient() -> Request:
        return Request("POST", "/v1/patients/recommendations?k=10", rng.choice(patient_bodies))

    results: list[PhaseResult] = []

    def run(server: subprocess.Popen, port: int, name: str, make: Callable[[], Request], rate: float,
            pairs: int = 1) -> None:
        asyncio.run(open_loop(port, key, make, rate, 1.0, args.connections))  # warm-up, not counted
        cpu0 = cpu_seconds(server.pid)
        lat, failures, secs = asyncio.run(open_loop(port, key, make, rate, args.seconds, args.connections))
        results.append(PhaseResult(name, f"{rate:g} req/s", lat, failures, secs, cpu_seconds(server.pid) - cpu0,
                                   pairs))

    t_start = time.perf_counter()
    with running_server(args, key) as (server, port):
        startup = time.perf_counter() - t_start
        drugs[:], diseases[:] = node_ids(args.graph)
        run(server, port, "GET /healthz (HTTP floor)", health, args.rate)
        run(server, port, "GET /v1/diseases/{curie}/candidates k=10 (memory)", candidates, args.rate)
        run(server, port, f"POST /v1/links/score, {args.batch} pairs", batch, args.batch_rate, args.batch)
        cpu0 = cpu_seconds(server.pid)
        lat, failures, secs = asyncio.run(closed_loop(port, key, candidates, args.seconds, args.connections))
        results.append(PhaseResult("GET /v1/diseases/{curie}/candidates k=10 (memory)",
                                   f"closed loop, {args.connections} in flight", lat, failures, secs,
                                   cpu_seconds(server.pid) - cpu0))
        if patient_bodies:
            run(server, port, "POST /v1/patients/recommendations k=10, phenopacket + VCF", patient, args.patient_rate)
        # Last, so a graph server still catching up cannot slow the phases above.
        run(server, port, "POST /v1/queries/repurposing_candidates k=10 (graph)", graph_candidates, args.rate)
    if not args.no_gc_baseline:
        with running_server(args, key, PMKG_API_GC_FREEZE="0") as (server, port):
            run(server, port, "GET /v1/diseases/{curie}/candidates k=10, without gc.freeze()", candidates, args.rate)

    from pmkg.cli.output import render

    print(render([r.row() for r in results], "table", title="pmkg serve under load (loopback, one uvicorn worker)"))
    if patient_bodies:
        sizes = [len(b) for b in patient_bodies]
        print(f"patient model {args.patient_model}; {len(patient_bodies)} patients of {args.cohort}, request bodies "
              f"{min(sizes):,}-{max(sizes):,} bytes")
    print(f"graph {args.graph}; {len(drugs):,} drugs x {len(diseases):,} diseases; server ready {startup:.0f} s "
          f"after start; {os.cpu_count()} CPUs, load average {load_before:.1f} before the run and "
          f"{os.getloadavg()[0]:.1f} after; "
          f"{args.seconds:g} s per phase")


if __name__ == "__main__":
    main()
