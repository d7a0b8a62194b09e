"""The registry page kept current by the registry's notifications, in headless Chromium against
the real console and a real registry: an image pushed shows on the page at once (no catalog
walk: the registry's access log counts none), and an admin makes a notification token and
gets the ``notifications`` snippet. Screenshots (1,366 px, 375 px, dark) go to
artifacts/console/ (regindex-*)."""

from __future__ import annotations

from playwright.sync_api import expect

from swarmdeck.images.build import push_image, tag_image
from swarmdeck.registry import notifications
from tests.support.browser import log_in, shot
from tests.support.console import login
from tests.support.notified_registry import gateway_console, notified_registry

NAME = "notified"
REPO = "browser/pushed"


def test_a_push_shows_on_the_registry_page_at_once(app, engine, busybox_image, janitor, page):
    admin = login(app, "admin")
    with gateway_console(app, engine) as live, notified_registry(engine, admin, live, NAME) as registry:
        page.set_viewport_size({"width": 1366, "height": 900})
        log_in(page, live.url, "admin")
        page.goto(f"{live.url}/registries/{NAME}")
        expect(page.locator("#repositories")).to_contain_text("No repositories.")
        expect(page.locator("#notifications")).to_contain_text("no event has arrived yet")
        walked = registry.catalog_requests()

        image = f"{registry.address}/{REPO}:1"
        tag_image(engine, busybox_image, image)
        try:
            push_image(engine, image)
        finally:
            engine.images.remove(image)
        # The page as a user reloads it: the pushed repository is listed without any walk.
        for _ in range(50):
            page.goto(f"{live.url}/registries/{NAME}")
            if page.locator("#repositories", has_text=REPO).count():
                break
            page.wait_for_timeout(200)
        expect(page.locator("#repositories")).to_contain_text(REPO)
        expect(page.locator("#notifications")).to_contain_text("posts its push and delete events")
        assert registry.catalog_requests() == walked
        shot(page, "regindex-01-pushed-at-once")

        page.locator("summary", has_text="Send this registry's events").click()
        page.locator("#make-notify-token").click()
        snippet = page.locator("#notify-snippet")
        expect(snippet).to_contain_text(notifications.TOKEN_HEADER)
        expect(snippet).to_contain_text(f"/api/registries/{NAME}/notifications")
        shot(page, "regindex-02-notification-snippet")

        page.set_viewport_size({"width": 375, "height": 800})
        page.goto(f"{live.url}/registries/{NAME}")
        expect(page.locator("#repositories")).to_contain_text(REPO)
        shot(page, "regindex-03-phone")
        page.emulate_media(color_scheme="dark")
        page.set_viewport_size({"width": 1366, "height": 900})
        page.goto(f"{live.url}/registries/{NAME}")
        expect(page.locator("#notifications")).to_contain_text("posts its push and delete events")
        shot(page, "regindex-04-dark")
