"""A run's report.html in a real browser (Debian's chromium, headless, driven
by Selenium through Debian's chromium-driver): every check has its row with
the summary's verdict, every image loads, every local link resolves, the
console is clean. Then `applab report` on a copy made as an unprivileged
user gives the same table and draws the same plots again, and the index
lists both runs of its folder."""
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from orchestrator.emulation.sandbox import SANDBOX_USER
from orchestrator.experiment.models import access_link

EXPERIMENTS = Path(__file__).resolve().parents[4] / "experiments"
CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
RUN_TIMEOUT_S = 600
SCREENSHOT = "report.png"


def applab(*args: str, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "orchestrator.cli", *args],
                          capture_output=True, text=True, timeout=RUN_TIMEOUT_S, **kwargs)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    applab("run", str(EXPERIMENTS / "access-link.yaml"), "--scenario", "c", "--duration", "20",
           "--out", str(out))
    return out


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--window-size=1200,3000"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def table_of(driver) -> dict[str, str]:
    """Each check row's name and verdict, as the page shows them."""
    return {row.get_attribute("data-check"):
            row.find_element(By.CSS_SELECTOR, "td.verdict").text
            for row in driver.find_elements(By.CSS_SELECTOR, "tr[data-check]")}


def verdict(check: dict) -> str:
    return {False: "FAIL", True: "ok", None: "shown"}[check["ok"]]


def test_the_report_in_a_browser(results, browser, clean_machine):
    (run_dir,) = [p for p in results.iterdir() if p.is_dir()]
    browser.get((run_dir / "report.html").as_uri())
    summary = json.loads((run_dir / "summary.json").read_text())
    expected = {c["name"].split(".", 1)[1]: verdict(c) for c in summary["checks"]}
    assert table_of(browser) == expected
    images = browser.find_elements(By.TAG_NAME, "img")
    shown = {Path(unquote(urlparse(i.get_attribute("src")).path)).name for i in images}
    assert shown == {f"{plot.name}.png" for plot in access_link.PLOTS} | {"topology.svg"}
    for image in images:
        assert browser.execute_script("return arguments[0].naturalWidth", image) > 0, \
            image.get_attribute("src")
    links = [a.get_attribute("href") for a in browser.find_elements(By.TAG_NAME, "a")]
    local = [unquote(urlparse(href).path) for href in links if href.startswith("file:")]
    assert len(local) > 10 and all(Path(p).is_file() for p in local), \
        [p for p in local if not Path(p).is_file()]
    assert [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"] == []
    browser.save_screenshot(str(run_dir / SCREENSHOT))
    assert (run_dir / SCREENSHOT).stat().st_size > 0


def test_a_copy_rebuilt_by_an_unprivileged_user_shows_the_same_table(results, browser,
                                                                    clean_machine):
    (run_dir,) = [p for p in results.iterdir() if p.is_dir()]
    # Where that user can reach it (pytest's folders are root's alone).
    with tempfile.TemporaryDirectory(prefix="applab-copied-") as laptop:
        copy = Path(laptop) / run_dir.name
        shutil.copytree(run_dir, copy)
        drawn = sorted(p.relative_to(copy) for p in copy.rglob("*.png")
                       if p.name != SCREENSHOT)
        for made in [copy / "report.html", *(copy / p for p in drawn)]:
            made.unlink()
        for path in [Path(laptop), copy, *copy.rglob("*")]:
            shutil.chown(path, SANDBOX_USER)
        applab("report", str(copy), user=SANDBOX_USER,
               env={"HOME": laptop, "PATH": "/usr/bin:/bin"})
        pages = []
        for folder in (run_dir, copy):
            browser.get((folder / "report.html").as_uri())
            pages.append(table_of(browser))
        redrawn = sorted(p.relative_to(copy) for p in copy.rglob("*.png")
                         if p.name != SCREENSHOT)
    assert pages[0] == pages[1] and pages[0]
    assert redrawn == drawn and drawn   # the plots too, from the files alone


def test_the_index_lists_every_run_of_its_folder(results, clean_machine):
    applab("run", str(EXPERIMENTS / "access-link.yaml"), "--scenario", "b", "--duration", "3",
           "--out", str(results))
    index = (results / "index.html").read_text()
    runs = [p for p in results.iterdir() if p.is_dir()]
    assert len(runs) == 2 and all(f"{run.name}/report.html" in index for run in runs)
