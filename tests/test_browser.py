"""The site in a real browser: headless Chromium from Debian's packages (/usr/bin/chromium,
`apt-get install chromium fonts-nanum`), driven by Playwright for Python, against the live gunicorn
server over the shipped dataset.  Every test fails if any request leaves the server, and checks
that its screenshot is not blank."""
from __future__ import annotations

import csv
import io
import os
import shutil
import struct
import zlib
from urllib.parse import urlparse

import pytest

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = os.environ.get("CLUSTERKG_CHROMIUM", "/usr/bin/chromium")
if not shutil.which(CHROMIUM):
    if os.environ.get("CI"):  # CI installs it (.ci/run): its absence there is a failure, not a skip
        pytest.fail(f"no Chromium at {CHROMIUM}", pytrace=False)
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium fonts-nanum)", allow_module_level=True)


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, site_server, tmp_path):
    """A fresh browser context; records every request, and any that is not to the live server."""
    context = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True,
                                  locale="ko-KR")
    page = context.new_page()
    page.outside = []
    host = urlparse(site_server).netloc

    def check(request):
        url = urlparse(request.url)
        if url.scheme not in ("data", "blob", "about") and url.netloc != host:
            page.outside.append(request.url)

    page.on("request", check)
    page.base = site_server
    yield page
    context.close()
    assert page.outside == [], f"requests left the server: {page.outside}"


def not_blank(page, path) -> None:
    """Take a screenshot and check it shows something.  The PNG's pixel data (zlib-inflated IDAT,
    standard library only) of a flat, blank page holds a handful of distinct byte values; a page with
    text and colours holds well over a hundred."""
    data = page.screenshot(path=str(path), full_page=False)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, idat = 8, b""
    while at < len(data):
        length = struct.unpack(">I", data[at:at + 4])[0]
        kind = data[at + 4:at + 8]
        if kind == b"IDAT":
            idat += data[at + 8:at + 8 + length]
        at += 12 + length
    pixels = zlib.decompress(idat)
    assert len(set(pixels)) > 100, f"{path} looks blank ({len(set(pixels))} distinct byte values)"


def test_landing_page(page, tmp_path):
    response = page.goto(page.base + "/")
    assert response.status == 200
    assert page.locator("html").get_attribute("lang") == "ko"
    assert page.locator("ul.cards li").count() == 7
    assert page.locator('a[href="/query"]').count() >= 1
    not_blank(page, tmp_path / "landing.png")


def test_cluster_page_chart_and_sentences(page, tmp_path):
    page.goto(page.base + "/id/cluster/gumi?lang=en")
    assert page.locator("h1").inner_text() == "Gumi cluster"
    chart = page.locator("figure.chart svg").first
    assert chart.is_visible()
    bars = chart.locator('g[role="img"]')
    assert bars.count() >= 2
    assert all(":" in (bars.nth(i).get_attribute("aria-label") or "") for i in range(bars.count()))
    quotes = page.locator('table.figures blockquote[lang="ko"]')
    assert quotes.count() == 4
    assert "지적재산권(44건→77건)" in page.locator("table.figures").inner_text()
    chart.scroll_into_view_if_needed()
    not_blank(page, tmp_path / "cluster.png")


def test_cluster_csv_download(page, tmp_path):
    page.goto(page.base + "/id/cluster/gumi")
    shown = page.locator("table.figures td.num a").count()
    with page.expect_download() as info:
        page.locator('a.button[href="/id/cluster/gumi.csv"]').click()
    path = tmp_path / "gumi.csv"
    info.value.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert shown > 0 and len([r for r in rows if r["figure"]]) == shown
    assert {"figure", "value", "unit", "sentence_ko", "reading_en", "source"} <= set(rows[0])
    not_blank(page, tmp_path / "cluster-csv.png")


def test_query_page_runs_an_example(page, tmp_path):
    page.goto(page.base + "/query?lang=en")
    page.locator('a[data-example="q06-council-counts"]').click()
    assert "q06" not in page.url or "example=q06-council-counts" in page.url
    page.locator("#run").click()
    page.wait_for_selector("table.results")
    assert "query=" in page.url  # the URL reproduces the query
    rows = page.locator("table.results tbody tr")
    assert rows.count() >= 5
    assert page.locator("table.results a[href^='/id/cluster/']").count() >= 5
    assert page.locator(".highlight .k").count() > 0  # the highlighter ran
    not_blank(page, tmp_path / "query.png")


def test_query_error_is_readable(page, tmp_path):
    response = page.goto(page.base + "/query?query=SELECT%20%3Fx%20WHERE%20%7B")
    assert response.status == 400
    assert page.locator("#error").is_visible()
    not_blank(page, tmp_path / "query-error.png")


def test_language_choice_sticks(page, tmp_path):
    page.goto(page.base + "/id/cluster/changwon")
    assert page.locator("html").get_attribute("lang") == "ko"  # Accept-Language ko-KR
    page.locator('header a[hreflang="en"]').click()
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto(page.base + "/id/cluster/ulsan")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Ulsan cluster"
    not_blank(page, tmp_path / "language.png")
