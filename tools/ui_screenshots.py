"""Screenshots of every view of the triage page (``/ui/``) for the docs: ``docs/img/ui/*.png``.

    python tools/ui_screenshots.py [--out docs/img/ui] [--width 1360]

Builds the world the browser tests use (tests/ui_world.py): the committed fixture graph ingested into a temporary
embedded store, the small service model with an external-validation report from the fixture SIDER list, and a
drug-patient model on a synthetic cohort. It serves that app on loopback with pmkg's own server, drives Debian's
headless Chromium through the user's path (key, "breast cancer", evidence of the top drug, a comparison, the drug
view, a CYP2C19 *2/*2 patient) and saves one PNG per view, reduced to a 256-colour palette to keep the repository
small. Needs ``apt-get install chromium chromium-driver``. Takes about two minutes on two cores.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

from tests.browser_support import chromium, wait_for  # noqa: E402
from tests.live_service import serving  # noqa: E402
from tests.service_support import API_KEY  # noqa: E402

BREAST_CANCER = "DOID:1612"


class _TempFolders:
    """``mktemp`` like pytest's tmp_path_factory, under one temporary root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.count = 0

    def mktemp(self, name: str) -> Path:
        self.count += 1
        path = self.root / f"{name}{self.count}"
        path.mkdir()
        return path


def _save(driver, out: Path, name: str, full_page: bool = True) -> None:
    if full_page:
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(driver.get_window_size()["width"], min(max(height, 700), 2400))
        driver.execute_script("window.scrollTo(0, 0)")
    png = Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")
    png.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(out / name, optimize=True)
    print(f"wrote {out / name} ({(out / name).stat().st_size // 1024} KiB)")


def _wait_rows(driver) -> None:
    wait_for(
        driver,
        lambda d: d.execute_script(
            "const t = document.getElementById('candidates');"
            "return t.dataset.ready === 'true' && t.tBodies[0].rows.length > 0"
        ),
    )


def capture(base_url: str, out: Path, packet: Path, vcf: Path, width: int) -> None:
    driver = chromium(width=width, height=900)
    try:
        driver.get(f"{base_url}/ui/")
        wait_for(driver, lambda d: d.find_element(By.ID, "key-input").is_displayed())
        _save(driver, out, "01-key.png", full_page=False)
        driver.find_element(By.ID, "key-input").send_keys("a-wrong-key-0123456789", Keys.ENTER)
        wait_for(driver, lambda d: d.find_element(By.ID, "key-error").text)
        _save(driver, out, "02-wrong-key.png", full_page=False)
        driver.find_element(By.ID, "key-input").send_keys(API_KEY, Keys.ENTER)
        wait_for(driver, lambda d: d.find_element(By.ID, "app").is_displayed())

        driver.find_element(By.ID, "disease-q").send_keys("breast cancer", Keys.ENTER)
        wait_for(driver, lambda d: d.find_element(By.CSS_SELECTOR, f'#disease-hits button[data-id="{BREAST_CANCER}"]'))
        driver.find_element(By.CSS_SELECTOR, f'#disease-hits button[data-id="{BREAST_CANCER}"]').click()
        _wait_rows(driver)
        driver.find_element(By.CSS_SELECTOR, "#cand-k option[value='25']").click()
        _wait_rows(driver)
        rows = driver.find_elements(By.CSS_SELECTOR, "#candidates tbody tr")
        rows[0].find_element(By.CSS_SELECTOR, "button.why").click()
        wait_for(driver, lambda d: d.find_element(By.ID, "why-graph").get_attribute("data-ready") == "true")
        driver.execute_script("window.scrollTo(0, 0)")
        _save(driver, out, "03-disease-candidates-why.png")
        driver.find_element(By.ID, "why").screenshot(str(out / "04-why.raw.png"))
        _palette(out / "04-why.raw.png", out / "04-why.png")

        for row in driver.find_elements(By.CSS_SELECTOR, "#candidates tbody tr")[:3]:
            row.find_element(By.CSS_SELECTOR, "input.pick").click()
        driver.find_element(By.ID, "compare-open").click()
        wait_for(driver, lambda d: d.find_element(By.ID, "compare").get_attribute("data-ready") == "true")
        driver.find_element(By.ID, "compare").screenshot(str(out / "05-compare.raw.png"))
        _palette(out / "05-compare.raw.png", out / "05-compare.png")

        driver.set_window_size(width, 900)
        driver.find_element(By.ID, "tab-drug").click()
        driver.find_element(By.ID, "drug-q").send_keys("tamoxifen", Keys.ENTER)
        wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#drug-diseases tbody tr"))
        _save(driver, out, "06-drug.png")

        driver.set_window_size(width, 900)
        driver.find_element(By.ID, "tab-patient").click()
        driver.find_element(By.ID, "patient-phenopacket").send_keys(str(packet))
        driver.find_element(By.ID, "patient-vcf").send_keys(str(vcf))
        driver.find_element(By.ID, "patient-k").clear()
        driver.find_element(By.ID, "patient-k").send_keys("500")
        driver.find_element(By.CSS_SELECTOR, "#patient-form button[type=submit]").click()
        wait_for(driver, lambda d: d.find_element(By.ID, "patient-result").is_displayed(), timeout=60)
        driver.find_element(By.ID, "patient-flagged-only").click()
        _save(driver, out, "07-patient.png")

        driver.set_window_size(width, 900)
        driver.find_element(By.ID, "tab-about").click()
        _save(driver, out, "08-model-and-help.png")
    finally:
        driver.quit()


def _palette(raw: Path, final: Path) -> None:
    Image.open(raw).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(final, optimize=True)
    raw.unlink()
    print(f"wrote {final} ({final.stat().st_size // 1024} KiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("docs/img/ui"))
    parser.add_argument("--width", type=int, default=1360)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    from pmkg.ingest.registry import JOBS
    from pmkg.kg.store import GraphStore

    from pmkg.workflows.ingest import ingest_sources
    from tests.conftest import FIXTURES
    from tests.ui_world import cyp2c19_star2_star2_patient, ui_world

    with tempfile.TemporaryDirectory(prefix="pmkg-ui-shots-") as tmp:
        root = Path(tmp)
        uri = f"embedded://{root / 'graph'}"
        print("ingesting the fixture graph, training the small models (about two minutes)")
        with GraphStore.connect(uri) as store:
            ingest_sources(store, FIXTURES, list(JOBS), progress=False)
            world = ui_world(store, uri, _TempFolders(root))
            document, vcf_text = cyp2c19_star2_star2_patient(world.patients)
            packet, vcf = root / "patient.json", root / "patient.vcf.gz"
            packet.write_text(json.dumps(document))
            vcf.write_bytes(gzip.compress(vcf_text.encode()))
            try:
                with serving(world.app, world.app.state.settings) as (base_url, _):
                    capture(base_url, args.out, packet, vcf, args.width)
            finally:
                world.app.state.graph.close()


if __name__ == "__main__":
    main()
