"""Headless Debian Chromium driven by selenium, and axe-core run inside the page.

Used by tests/test_ui_browser.py, tools/ui_screenshots.py and bench/bench_ui.py. Selenium is pointed at the
system's ``chromium`` and ``chromium-driver`` (Selenium Manager never downloads a browser), so the same binaries
run here, in CI (``.ci/run`` installs them with apt) and on a user's machine.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
INSTALL_HINT = (
    "the browser tests need Debian's Chromium and its driver: run `apt-get update && apt-get install -y chromium "
    "chromium-driver` as root (.ci/run does this), or set PMKG_CHROMIUM and PMKG_CHROMEDRIVER to their paths"
)


class BrowserMissing(RuntimeError):
    """Chromium or chromedriver is not installed; the message says how to install them."""


def _find(env: str, names: tuple[str, ...]) -> str:
    import os

    explicit = os.environ.get(env)
    if explicit:
        if not Path(explicit).is_file():
            raise BrowserMissing(f"{env}={explicit} is not a file; {INSTALL_HINT}")
        return explicit
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserMissing(f"no {' or '.join(names)} on PATH: {INSTALL_HINT}")


def chromium(download_dir: Path | None = None, width: int = 1440, height: int = 1000) -> webdriver.Chrome:
    """A headless Chromium session; files the page downloads land in ``download_dir``."""
    binary = _find("PMKG_CHROMIUM", ("chromium", "chromium-browser"))
    driver_path = _find("PMKG_CHROMEDRIVER", ("chromedriver",))
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--disable-extensions", "--disable-background-networking", "--disable-sync", "--hide-scrollbars",
        f"--window-size={width},{height}", "--force-device-scale-factor=1", "--lang=en-US",
    ):  # fmt: skip
        options.add_argument(argument)
    if download_dir is not None:
        options.add_experimental_option(
            "prefs",
            {"download.default_directory": str(download_dir), "download.prompt_for_download": False,
             "safebrowsing.enabled": False},
        )  # fmt: skip
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    if download_dir is not None:
        driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(download_dir)})
    driver.set_script_timeout(60)
    return driver


def wait_for(driver: webdriver.Chrome, condition: Any, timeout: float = 30.0, message: str = "") -> Any:
    return WebDriverWait(driver, timeout, poll_frequency=0.02).until(condition, message)


def run_axe(driver: webdriver.Chrome, context: str = "document") -> list[dict[str, Any]]:
    """axe-core's violations on the current page (WCAG 2.1 A/AA rules plus best practices)."""
    if not driver.execute_script("return typeof window.axe !== 'undefined'"):
        driver.execute_script(AXE_JS.read_text())
    result = driver.execute_async_script(
        f"""const done = arguments[arguments.length - 1];
        axe.run({context}, {{resultTypes: ['violations']}})
           .then(r => done(JSON.stringify(r.violations)))
           .catch(e => done(JSON.stringify([{{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}}])));"""
    )
    return json.loads(result)


def describe(violations: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{v['id']} ({v.get('impact')}): {v.get('help')} at {[n.get('target') for n in v.get('nodes', [])][:3]}"
        for v in violations
    )
