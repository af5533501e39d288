"""End to end, as a user sees it: `ca-militancy browse` serves the SQLite edition on 127.0.0.1,
a real headless browser (Debian's chromium driven by Playwright) searches for a group by a
variant spelling, then goes from an incident to its perpetrator organization, and screenshots
are saved (under $CA_MILITANCY_ARTIFACTS when set, else the test's tmp directory)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import ca_militancy
from ca_militancy.build.sqlite_edition import write_sqlite
from ca_militancy.core.catalog import catalog
from ca_militancy.core.edition import SERVED_NAME

sys.path.insert(0, str(Path(__file__).parent))
from test_sqlite_edition import sample_tables

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"browse exited early:\n{proc.stdout.read()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"Datasette did not answer at {url} within {timeout}s")


@pytest.fixture
def artifacts(tmp_path) -> Path:
    out = Path(os.environ.get("CA_MILITANCY_ARTIFACTS") or tmp_path / "artifacts")
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture
def server(tmp_path):
    pytest.importorskip("datasette", reason="datasette is not installed")
    db = tmp_path / "ca-militancy-0.0.0.sqlite"
    write_sqlite(catalog(), sample_tables(), db, "0.0.0")
    port = _free_port()
    env = dict(os.environ)
    src = str(Path(ca_militancy.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ca_militancy", "browse", str(db), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{base}/{SERVED_NAME}", proc)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def page():
    if not (Path(CHROMIUM).is_file() or shutil.which("chromium")):
        pytest.skip(f"no system browser at {CHROMIUM} (apt-get install chromium; .ci/run does)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).is_file() else shutil.which("chromium"),
            args=CHROMIUM_ARGS,
            headless=True,
        )
        try:
            pg = browser.new_page(viewport={"width": 1280, "height": 900})
            pg.set_default_timeout(20_000)
            yield pg
        finally:
            browser.close()


def test_search_by_variant_spelling_then_incident_to_perpetrator(server, page, artifacts):
    # 1. The organizations page has a search box; a variant spelling finds the group.
    page.goto(f"{server}/{SERVED_NAME}/organizations")
    assert "Organizations" in page.title() or "organizations" in page.title()
    page.fill('input[name="_search"]', "Djund Al-Khalifat")
    page.press('input[name="_search"]', "Enter")
    page.wait_for_url("**_search=*")
    rows = page.locator("table.rows-and-columns tbody tr")
    assert rows.count() == 1
    assert "Jund al Khilafah" in rows.first.inner_text()
    page.screenshot(path=str(artifacts / "browse-search-variant-spelling.png"), full_page=True)

    # 2. From an incident, its actors; from the actor row, the perpetrator organization.
    page.goto(f"{server}/{SERVED_NAME}/incidents/inc-2011-atyrau")
    assert "Atyrau bombings" in page.inner_text("body")
    page.click(f'a[href*="/{SERVED_NAME}/incident_actors?incident_id=inc-2011-atyrau"]')
    actor_row = page.locator("table.rows-and-columns tbody tr").first
    assert "perpetrator" in actor_row.inner_text()
    actor_row.locator("td.col-organization_id a").click()
    page.wait_for_url(f"**/{SERVED_NAME}/organizations/org-jund-al-khilafah")
    body = page.inner_text("body")
    assert "Jund al Khilafah" in body
    assert "militant_group" in body
    # The organization page links on to its aliases and incidents.
    assert page.locator('a[href*="aliases?organization_id=org-jund-al-khilafah"]').count() == 1
    page.screenshot(path=str(artifacts / "browse-perpetrator-organization.png"), full_page=True)
    assert (artifacts / "browse-perpetrator-organization.png").stat().st_size > 10_000
