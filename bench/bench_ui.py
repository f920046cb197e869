"""Time the triage page in headless Chromium beside the API calls it makes, in the same run; print a table.

    python bench/bench_ui.py [--graph embedded://pmkg-data/demo-graph] [--models-dir pmkg-data/demo/models]
                             [--diseases 50] [--k 100] [--seed 0]

Run ``pmkg demo`` first (it builds the demo graph and model). Needs ``apt-get install chromium chromium-driver``.

Protocol. The script starts ``pmkg serve`` as a subprocess (as deployed: one uvicorn worker) on the graph and model
given, waits for ``/readyz``, and opens ``/ui/`` in headless Chromium (tests/browser_support.py) with a fresh key.
It draws ``--diseases`` diseases (seeded) from the graph. For each one, in the page:

- it searches the disease's id, waits for the match, and clicks it; the page itself records the time from the
  click to the rendered list (the disease card and the top ``--k`` candidates fetched in parallel, the table built,
  then two animation frames so layout and paint are done);
- it clicks "Why" on the top-ranked drug; the page records the time from the click to the drawn evidence
  (the explanation of 25 paths fetched, the metapath table, the SVG picture and the path list built, two
  frames).

The page's own fetches are timed by the browser (Resource Timing: request start to the last byte). Then, in the same
run, right after each disease's clicks, the same API calls are made directly from Python (httpx, one keep-alive
connection, one at a time) for the same disease and drug: the raw API latency without a browser, under the same
load on the machine. Three diseases before the measured ones warm up
every path and are not counted. Everything is sequential: one user, no concurrent load. The machine's load average
and core count are printed with the table.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

from tests.browser_support import chromium, wait_for  # noqa: E402

WARM_UP = 3
PAGE_PATHS = 25  # the page asks for this many evidence paths (service/ui/app.js)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(graph: str, models_dir: str, key: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "PMKG_API_KEYS": key, "OMP_WAIT_POLICY": "PASSIVE"}
    command = [sys.executable, "-c", "from pmkg.cli import main; main()", "serve", "--graph", graph,
               "--models-dir", models_dir, "--port", str(port), "--quiet"]  # fmt: skip
    # The server's log goes to a file: a pipe nobody reads would block it once full.
    log = Path(tempfile.mkdtemp(prefix="bench-ui-")) / "serve.log"
    with open(log, "w") as fh:
        process = subprocess.Popen(command, env=env, stdout=fh, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"pmkg serve exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    process.kill()
    raise SystemExit("pmkg serve did not become ready in 10 minutes")


def all_diseases(graph: str) -> list[str]:
    from pmkg.kg.store import GraphStore

    with GraphStore.connect(graph) as store:  # attaches to the server's embedded store
        return [r["id"] for r in store.run("MATCH (d:Disease) RETURN d.id AS id ORDER BY id")]


def _page_timing(driver, kind: str, curie: str, timeout: float = 60.0) -> float:
    return wait_for(
        driver,
        lambda d: d.execute_script(
            "const hit = window.pmkgTimings.filter(t => t.kind === arguments[0] && t.id === arguments[1]);"
            "return hit.length ? hit[hit.length - 1].ms : null",
            kind,
            curie,
        ),
        timeout=timeout,
        message=f"no {kind} timing for {curie}",
    )


def _fetch_ms(driver, fragment: str) -> float | None:
    return driver.execute_script(
        "const e = performance.getEntriesByType('resource').filter(e => e.name.includes(arguments[0]));"
        "return e.length ? e[e.length - 1].duration : null",
        fragment,
    )


def measure_page(
    driver, base: str, key: str, diseases: list[str], k: int, direct: Callable[[str, str], dict[str, float]]
) -> dict[str, list[float]]:
    driver.get(f"{base}/ui/")
    wait_for(driver, lambda d: d.find_element(By.ID, "key-input").is_displayed())
    driver.find_element(By.ID, "key-input").send_keys(key, Keys.ENTER)
    wait_for(driver, lambda d: d.find_element(By.ID, "app").is_displayed())
    driver.execute_script("document.getElementById('cand-k').value = arguments[0]", str(k))
    names = ("list", "evidence", "fetch_candidates", "fetch_card", "fetch_explanation", "candidates", "card",
             "explanation")  # fmt: skip
    out: dict[str, list[float]] = {name: [] for name in names}
    for number, curie in enumerate(diseases):
        box = driver.find_element(By.ID, "disease-q")
        box.clear()
        box.send_keys(curie, Keys.ENTER)
        button = wait_for(
            driver, lambda d, c=curie: d.find_element(By.CSS_SELECTOR, f'#disease-hits button[data-id="{c}"]')
        )
        # A search that finds one disease opens it at once; let that finish so the timed click runs alone.
        _page_timing(driver, "disease", curie)
        driver.execute_script("window.pmkgTimings.length = 0; performance.clearResourceTimings()")
        button.click()
        list_ms = _page_timing(driver, "disease", curie)
        top = driver.find_element(By.CSS_SELECTOR, "#candidates tbody tr")
        drug = top.get_attribute("data-drug")
        fetched = (
            _fetch_ms(driver, f"/v1/diseases/{quote(curie)}/candidates"),
            _fetch_ms(driver, f"/v1/ui/diseases/{quote(curie)}"),
        )
        top.find_element(By.CSS_SELECTOR, "button.why").click()
        evidence_ms = _page_timing(driver, "evidence", drug)
        explanation = _fetch_ms(driver, "/explanation")
        # The same calls straight after, without the browser: the same load on the machine for both.
        raw = direct(curie, drug)
        if number < WARM_UP:
            continue
        for name, value in raw.items():
            out[name].append(value)
        out["list"].append(list_ms)
        out["evidence"].append(evidence_ms)
        out["fetch_candidates"].append(fetched[0])
        out["fetch_card"].append(fetched[1])
        out["fetch_explanation"].append(explanation)
    return out


def direct_calls(client: httpx.Client, k: int) -> Callable[[str, str], dict[str, float]]:
    """The page's three API calls for one disease and drug, made from Python one after another; ms each."""

    def timed(call: Callable[[], httpx.Response]) -> float:
        t0 = time.perf_counter()
        response = call()
        response.read()
        elapsed = (time.perf_counter() - t0) * 1000
        response.raise_for_status()
        return elapsed

    def calls(curie: str, drug: str) -> dict[str, float]:
        return {
            "candidates": timed(
                lambda: client.get(f"/v1/diseases/{curie}/candidates", params={"k": k, "include_known": "true"})
            ),
            "card": timed(lambda: client.get(f"/v1/ui/diseases/{curie}")),
            "explanation": timed(lambda: client.get(f"/v1/pairs/{drug}/{curie}/explanation", params={"n": PAGE_PATHS})),
        }

    return calls


def _row(name: str, values: list[float]) -> str:
    data = np.asarray([v for v in values if v is not None], dtype=float)
    return f"| {name} | {data.size} | {np.percentile(data, 50):.1f} | {np.percentile(data, 95):.1f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--graph", default="embedded://pmkg-data/demo-graph")
    parser.add_argument("--models-dir", default="pmkg-data/demo/models")
    parser.add_argument("--diseases", type=int, default=50)
    parser.add_argument("--k", type=int, default=100, choices=(25, 50, 100, 250, 500), help="the page's choices")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    key = secrets.token_urlsafe(32)
    load_before = os.getloadavg()
    process, base = start_server(args.graph, args.models_dir, key)
    driver = None
    try:
        every = all_diseases(args.graph)
        picked = random.Random(args.seed).sample(every, min(len(every), args.diseases + WARM_UP))
        driver = chromium(width=1440, height=1000)
        t0 = time.perf_counter()
        with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=60) as client:
            page = measure_page(driver, base, key, picked, args.k, direct_calls(client, args.k))
        page_seconds = time.perf_counter() - t0
    finally:
        if driver is not None:
            driver.quit()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    load_after = os.getloadavg()

    print(f"triage page vs API, {len(page['list'])} diseases of {len(every)} (seed {args.seed}), "
          f"top {args.k} candidates, {PAGE_PATHS} evidence paths; graph {args.graph}")  # fmt: skip
    print(f"machine: {os.cpu_count()} cores, load average {load_before[0]:.2f} before, {load_after[0]:.2f} after; "
          f"run {page_seconds:.0f} s")  # fmt: skip
    print()
    print("| measurement | n | p50 ms | p95 ms |")
    print("|---|---:|---:|---:|")
    print(_row("click a disease -> rendered list (page)", page["list"]))
    print(_row("  page's fetch: GET /v1/diseases/{id}/candidates", page["fetch_candidates"]))
    print(_row("  page's fetch: GET /v1/ui/diseases/{id}", page["fetch_card"]))
    print(_row(f"  direct: GET /v1/diseases/{{id}}/candidates?k={args.k}", page["candidates"]))
    print(_row("  direct: GET /v1/ui/diseases/{id}", page["card"]))
    print(_row("click a drug's Why -> drawn evidence (page)", page["evidence"]))
    print(_row("  page's fetch: GET /v1/pairs/{drug}/{id}/explanation", page["fetch_explanation"]))
    print(_row(f"  direct: GET /v1/pairs/{{drug}}/{{id}}/explanation?n={PAGE_PATHS}", page["explanation"]))
    slowest_api = np.median(np.maximum(page["candidates"], page["card"]))
    print()
    print(f"ratio, median click->list over median slower of its two direct calls: "
          f"{np.median(page['list']) / slowest_api:.2f}; evidence over its direct call: "
          f"{np.median(page['evidence']) / np.median(page['explanation']):.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
