"""The pages in a real browser: headless Chromium (Debian's), driven by Playwright.

Playwright's own browser download does not work here, so it is pointed at /usr/bin/chromium
(Debian packages chromium and chromium-driver, installed by .ci/system-deps).  Without them
these tests skip, saying why, and the skip fails the run unless SANTELEX_ALLOW_SKIPS=1
(tests/conftest.py).  They use the server of tests/test_web.py (same store, same
process).  Screenshots go to a temporary folder, or to $SANTELEX_SCREENSHOTS when it is set:
`SANTELEX_SCREENSHOTS=docs/screenshots ./run tests tests/test_browser.py` renews the README's.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from playwright import sync_api
from test_web import ERREURS, expected_report, web  # noqa: F401  (web: the shared server)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--no-first-run"]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason=f"Chromium is not installed ({CHROMIUM}): the Debian packages chromium and "
                                       "chromium-driver are needed (.ci/system-deps installs them with apt-get "
                                       "where it can)")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, web):  # noqa: F811
    context = browser.new_context(base_url=web.url, viewport={"width": 1280, "height": 900}, locale="fr-FR",
                                  accept_downloads=True)
    p = context.new_page()
    p.set_default_timeout(15_000)
    yield p
    context.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = os.environ.get("SANTELEX_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_search_r1434_4_then_follow_its_link_to_l1434_7(page, shots):
    page.goto("/")
    page.fill("header input[name=q]", "R1434-4")
    page.press("header input[name=q]", "Enter")
    page.wait_for_url("**/article/code-de-la-sante-publique/R1434-4")
    assert page.inner_text("h1").startswith("Article R. 1434-4")
    assert page.locator("section.texte a.ref").count() == 3
    page.screenshot(path=shots / "article.png", full_page=True)
    page.locator("section.texte a.ref", has_text="L. 1434-7").click()
    page.wait_for_url("**/article/code-de-la-sante-publique/L1434-7?cible=alinea-5#alinea-5")
    assert page.inner_text("h1").startswith("Article L. 1434-7")
    # the corpus's L. 1434-7 has one alinéa: the page says the fifth is not in it
    assert "n'existe pas dans la version affichée" in page.inner_text("p.alerte")
    # and its "cité par" panel leads back to the alinéa of R1434-4 that cites it
    page.locator("#cite-par a", has_text="R. 1434-4").click()
    page.wait_for_url("**/R1434-4?version=*&cible=alinea-9#alinea-9")
    assert page.evaluate("document.querySelector(':target').id") == "alinea-9"


def test_pinpoints_scroll_to_the_subdivision(page):
    page.goto("/chercher?q=D.%20712-2")
    page.wait_for_url("**/article/code-de-la-sante-publique/D712-2")
    page.locator("#concepts li", has_text="médecine").first.locator("a").click()
    page.wait_for_url("**/D712-2?cible=I/3/a#I/3/a")
    target = page.locator("p.sub.cible")
    assert target.get_attribute("id") == "I/3/a"
    box = target.bounding_box()
    assert 0 <= box["y"] < page.viewport_size["height"]  # scrolled into view


def test_neighbourhood_nodes_are_links(page, shots):
    page.goto("/article/code-de-la-sante-publique/R1434-4")
    figure = page.locator("figure.voisinage-figure")
    figure.scroll_into_view_if_needed()
    figure.screenshot(path=shots / "voisinage.png")
    node = figure.locator("svg a[href='/article/code-de-la-sante-publique/L1434-9']")
    assert node.count() == 1
    node.click()
    page.wait_for_url("**/article/code-de-la-sante-publique/L1434-9")
    assert page.inner_text("h1").startswith("Article L. 1434-9")


def test_upload_annexe_erreurs_folder_shows_each_broken_rule(page, shots):
    expected = expected_report(ERREURS)
    page.goto("/validation")
    page.screenshot(path=shots / "validation-envoi.png")
    page.set_input_files("#dossier", str(ERREURS))
    page.click("form.envoi button[type=submit]")
    page.wait_for_selector("p.bilan")
    assert page.inner_text("h1") == "Rapport de validation — annexe-erreurs"
    assert page.inner_text("p.bilan").startswith("Non conforme")
    shown = page.eval_on_selector_all("#regles tr[data-regle]", "rows => rows.map(r => r.dataset.regle)")
    assert sorted(shown) == sorted({r.rule for r in expected.results})
    # each broken rule is on a highlighted row, in a territory's table or in the territories' one
    flagged = page.eval_on_selector_all(
        "tr.fautive code", "codes => codes.map(c => c.textContent)")
    assert set(flagged) == {r.rule for r in expected.results}
    page.screenshot(path=shots / "validation.png", full_page=True,
                    clip={"x": 0, "y": 0, "width": 1280, "height": 2400})
    with page.expect_download() as download:
        page.click("p.telechargements a:text('JSON')")
    report = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert report["conforms"] is False and len(report["results"]) == len(expected.results)


def test_named_query_example_runs_in_the_page(page, shots):
    page.goto("/requete")
    page.click("ul.exemples a:text('Ce qui cite un article')")
    page.wait_for_selector("table.resultats tbody tr")
    first = page.locator("table.resultats tbody tr").first.locator("td a").first
    assert first.get_attribute("href") == "/article/code-de-la-sante-publique/R1434-4"
    page.screenshot(path=shots / "requete.png", full_page=True)


def test_pages_fit_a_phone(browser, web, shots):  # noqa: F811
    context = browser.new_context(base_url=web.url, viewport={"width": 390, "height": 844},
                                  device_scale_factor=2, is_mobile=True, has_touch=True)
    p = context.new_page()
    try:
        for path in ("/", "/article/code-de-la-sante-publique/D712-2", "/validation", "/requete?exemple=versions"):
            p.goto(path)
            width = p.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{path} is {width} px wide on a 390 px screen"
        p.goto("/article/code-de-la-sante-publique/D712-2")
        p.screenshot(path=shots / "telephone.png")
    finally:
        context.close()
