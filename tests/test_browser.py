"""A real browser against a real ``mlkg serve``: Debian's Chromium driven by Playwright.

Opens the UI, runs a query in YASGUI and reads the result table, searches for a model and
opens its page, and checks that a model card with ``<script>`` shows the text and runs nothing
(no dialog opens, no Content-Security-Policy violation is reported).

Needs ``/usr/bin/chromium`` and the ``playwright`` Python package (``scripts/install-test-tools.sh``
installs both); the test never downloads a browser (``playwright install`` is not used).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mlkg.server.testing import LiveServer
from tests.webdata import SCRIPT_DESCRIPTION, SCRIPT_MODEL_ID, tfhub_pages, web_data

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Collects CSP violations in the page (Playwright's init scripts are exempt from the page's CSP).
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation",
  (event) => window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI));
"""

pytestmark = [
    pytest.mark.skipif(
        sync_playwright is None,
        reason="playwright is not installed (pip install playwright; see "
        "scripts/install-test-tools.sh)",
    ),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed (apt-get install -y chromium; see "
        "scripts/install-test-tools.sh)",
    ),
]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return web_data(tmp_path_factory.getbasetemp() / "web")


@pytest.fixture(scope="module")
def server(data):
    with LiveServer(data.settings.data_dir, options=["--workers", "1"]) as live:
        yield live


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True
        )
        yield chromium
        chromium.close()


class Watched:
    """A page plus everything that must not happen on it."""

    def __init__(self, page):
        self.page = page
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.add_init_script(WATCH_CSP)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def assert_clean(self) -> None:
        assert self.dialogs == [], "a dialog opened: card text was executed"
        assert self.errors == []
        assert self.page.evaluate("window.__cspViolations") == []


@pytest.fixture
def watched(browser, server):
    context = browser.new_context(base_url=server.url)
    watched = Watched(context.new_page())
    yield watched
    context.close()


def test_run_a_query_in_the_editor_and_read_the_table(watched):
    page = watched.page
    page.goto("/")
    page.get_by_role("link", name="SPARQL", exact=True).click()
    page.wait_for_selector(".yasqe .CodeMirror")
    page.select_option("#examples", "models-per-task")
    page.locator(".yasqe_queryButton >> visible=true").click()
    rows = page.locator(".yasr table tbody tr >> visible=true")
    rows.first.wait_for()
    assert rows.count() >= 3
    table = page.locator(".yasr table >> visible=true").inner_text()
    assert "image-classification" in table
    watched.assert_clean()


def test_search_for_a_model_and_open_its_page(watched, data):
    page = watched.page
    model = next(p for p in tfhub_pages(data.tfhub) if "sparrow" in p.handle)
    page.goto("/")
    search = page.get_by_label("Search models, datasets and tasks")
    search.fill("sparrow sentiment")
    search.press("Enter")
    page.wait_for_url("**/search?**")
    page.get_by_role("link", name=model.identifier, exact=True).click()
    assert page.locator("h1").inner_text() == model.identifier
    assert model.description in page.locator("p.description").first.inner_text()
    zoo = page.locator(f'a[href="https://tfhub.dev/{model.identifier}"]').first
    assert zoo.get_attribute("rel") == "nofollow noopener noreferrer"
    watched.assert_clean()


def test_type_ahead_suggests_models(watched):
    page = watched.page
    page.goto("/")
    page.get_by_label("Search models, datasets and tasks").press_sequentially("boxn", delay=30)
    suggestions = page.locator("ul.typeahead li")
    suggestions.first.wait_for()
    assert "boxnet_large" in page.locator("ul.typeahead >> visible=true").inner_text()
    watched.assert_clean()


def test_a_card_with_script_shows_the_text_and_runs_nothing(watched):
    page = watched.page
    page.goto("/search?q=script+probe")
    page.get_by_role("link", name=SCRIPT_MODEL_ID, exact=True).click()
    description = page.locator("p.description").first
    assert description.inner_text() == SCRIPT_DESCRIPTION
    assert page.get_by_text("network-architecture:<script>alert(3)</script>").count() >= 1
    assert page.locator("main script").count() == 0
    assert page.locator("main img").count() == 0
    # the same text through the query editor's result table
    page.goto("/query")
    page.wait_for_selector(".yasqe .CodeMirror")
    page.evaluate(
        """() => window.mlkgYasgui.getTab().getYasqe().setValue(
          'SELECT ?d WHERE { ?m <http://purl.org/dc/terms/description> ?d '
          + 'FILTER(CONTAINS(?d, "onerror")) }')"""
    )
    page.locator(".yasqe_queryButton >> visible=true").click()
    cell = page.locator(".yasr table tbody tr >> visible=true").first
    cell.wait_for()
    assert "<script>alert(1)</script>" in cell.inner_text()
    watched.assert_clean()
