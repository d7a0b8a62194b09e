"""The settings page's backup in headless Chromium: an admin downloads it, the command line
restores it into a fresh data directory, and a console served from there lets the user in
through the login form with the endpoint listed. Screenshots at 1,366 px, 375 px and dark."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from swarmdeck.console import create_app
from tests.support.browser import log_in, shot
from tests.support.cli import swarmdeck
from tests.support.console import store_of
from tests.support.served import serve_app


def _settings_shot(browser: Browser, url: str, name: str, **options: object) -> None:
    context = browser.new_context(**options)  # type: ignore[arg-type]
    tab = context.new_page()
    log_in(tab, url, "admin")
    tab.goto(url + "/settings#backup")
    expect(tab.locator("#backup-download")).to_be_visible()
    shot(tab, name)
    tab.goto("about:blank")
    context.close()


def test_a_downloaded_backup_restores_and_its_user_logs_in(live, browser, page: Page, tmp_path):
    store_of(live.app).add_endpoint("backed", "unix:///var/run/docker.sock")
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, live.url, "admin")
    page.goto(live.url + "/settings")
    with page.expect_download() as download:
        page.click("#backup-download")
    archive = tmp_path / download.value.suggested_filename
    assert archive.name.startswith("swarmdeck-backup-") and archive.name.endswith(".tar.gz")
    download.value.save_as(archive)
    shot(page, "backup-01-settings-1366")
    _settings_shot(browser, live.url, "backup-02-settings-375", viewport={"width": 375, "height": 740})
    _settings_shot(browser, live.url, "backup-03-settings-dark", color_scheme="dark")

    target = tmp_path / "restored"
    run = swarmdeck("console", "restore", str(archive), "--data-dir", str(target))
    assert run.returncode == 0, run.stderr
    restored = create_app(target)
    try:
        with serve_app(restored) as url:
            log_in(page, url, "oper")  # the login form lands on /containers: the user is in
            page.goto(url + "/account")
            expect(page.locator("main")).to_contain_text("oper")
            page.goto("about:blank")
            log_in(page, url, "admin")
            page.goto(url + "/endpoints")
            expect(page.locator("main")).to_contain_text("backed")
            shot(page, "backup-04-restored-endpoints")
            page.goto("about:blank")
    finally:
        restored.state.console.close()
