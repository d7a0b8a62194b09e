"""The console's frame and home page in headless Chromium against the real engine (a swarm
manager): the home page's per-endpoint health; no horizontal overflow on the main pages at
1,366 px and at 375 px; the labels column hidden until asked; the phone-width menu opening
with every nav link reachable by keyboard; the skip link; dark mode following the system
setting and the header's toggle, remembered across pages. Screenshots go to
artifacts/console/ (layout-*)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.support.browser import log_in, shot
from tests.testbed.redis import free_port

WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 375, "height": 812}
MAIN_PAGES = [
    "/",
    "/containers",
    "/images",
    "/networks",
    "/volumes",
    "/swarm",
    "/services",
    "/stacks",
    "/events",
]
SHOTS = {"/": "home", "/services": "services", "/stacks": "stacks"}


def overflow(page: Page) -> tuple[int, int]:
    return page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")


def background(page: Page) -> str:
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


def dark(color: str) -> bool:
    """An ``rgb(r, g, b)`` colour darker than middle grey."""
    r, g, b = (int(x) for x in color[color.index("(") + 1 : color.index(")")].split(",")[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 128


def test_home_shows_each_endpoint_and_no_page_overflows(live, swarm, janitor, engine, busybox_image, page):
    engine.containers.run(busybox_image, ["sleep", "120"], name=janitor.name("home"), detach=True)
    page.set_viewport_size(WIDE)
    log_in(page, live.url, "admin")
    page.click("header a.brand")
    expect(page).to_have_url(live.url + "/")
    card = page.locator("#endpoint-cards .card[data-endpoint=local]")
    expect(card.locator(".nodes")).to_contain_text("ready")
    expect(card.locator(".services")).to_contain_text("converged")
    expect(card.locator(".containers .state-running")).to_contain_text("running")
    expect(card.locator(".images")).to_contain_text("B)")  # a count and the size
    expect(card.locator(".volumes")).to_have_text(str(len(swarm.manager.volumes.list())))
    for width, suffix in ((WIDE, "1366"), (PHONE, "375")):
        page.set_viewport_size(width)
        for path in MAIN_PAGES:
            page.goto(live.url + path)
            expect(page.locator("h1")).to_be_visible()
            scroll, inner = overflow(page)
            assert scroll <= inner, f"{path} at {inner} px is {scroll} px wide"
            if path in SHOTS:
                shot(page, f"layout-{SHOTS[path]}-{suffix}")


def test_an_endpoint_that_does_not_answer_says_so_in_its_card(live, swarm, page):
    admin = live.login("admin")
    dead = f"tcp://127.0.0.1:{free_port()}"
    saved = admin.post("/api/endpoints", json={"name": "gone", "url": dead, "force": True})
    assert saved.status_code in (200, 201), saved.text
    page.set_viewport_size(WIDE)
    log_in(page, live.url, "admin")
    page.goto(live.url + "/")
    card = page.locator("#endpoint-cards .card[data-endpoint=gone]")
    expect(card.locator(".state-bad")).to_have_text("down")
    expect(card.locator(".error-text")).to_contain_text("does not answer")
    expect(page.locator("#endpoint-cards .card[data-endpoint=local] .nodes")).to_contain_text("ready")
    shot(page, "layout-home-endpoint-down")


def test_labels_column_is_shown_on_demand(live, swarm, page):
    page.set_viewport_size(WIDE)
    log_in(page, live.url, "oper")
    header = page.locator("#containers th.labels")
    expect(header).to_be_hidden()
    page.click("button[data-show-labels=containers]")
    expect(header).to_be_visible()
    expect(page.locator("button[data-show-labels=containers]")).to_have_attribute("aria-pressed", "true")
    page.click("button[data-show-labels=containers]")
    expect(header).to_be_hidden()


def test_phone_menu_opens_and_every_link_is_reachable_by_keyboard(live, swarm, page):
    page.set_viewport_size(PHONE)
    log_in(page, live.url, "admin")
    page.goto(live.url + "/")
    links = page.locator("header nav a")
    hrefs = links.evaluate_all("as => as.map(a => a.getAttribute('href'))")
    assert "/" in hrefs and "/containers" in hrefs and "/settings" in hrefs
    expect(links.first).to_be_hidden()
    # The skip link is the first stop, and takes the focus to the content.
    page.keyboard.press("Tab")
    expect(page.locator("a.skip")).to_be_focused()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # Keyboard only: reach the menu button, open it, tab through every link.
    page.goto(live.url + "/")
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "menu-toggle":
            break
    expect(page.locator("#menu-toggle")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#menu-toggle")).to_have_attribute("aria-expanded", "true")
    shot(page, "layout-menu-375")
    reached = [page.evaluate("document.activeElement.getAttribute('href')")]  # the first link has the focus
    for _ in hrefs[1:]:
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.getAttribute('href')"))
    assert reached == hrefs
    for i in range(len(hrefs)):
        expect(links.nth(i)).to_be_visible()
    assert overflow(page)[0] <= PHONE["width"]
    page.keyboard.press("Escape")
    expect(links.first).to_be_hidden()
    expect(page.locator("#menu-toggle")).to_be_focused()
    page.click("#menu-toggle")
    page.click("header nav a[href='/stacks']")
    expect(page).to_have_url(live.url + "/stacks")


def test_dark_mode_follows_the_system_and_the_toggle_is_remembered(live, swarm, page):
    page.set_viewport_size(WIDE)
    log_in(page, live.url, "admin")
    page.emulate_media(color_scheme="light")
    page.goto(live.url + "/")
    assert not dark(background(page))
    page.emulate_media(color_scheme="dark")
    assert dark(background(page)), background(page)  # no reload: the system setting rules
    for path, name in SHOTS.items():
        page.goto(live.url + path)
        assert dark(background(page))
        shot(page, f"layout-{name}-dark")
    page.set_viewport_size(PHONE)
    page.goto(live.url + "/")
    shot(page, "layout-home-dark-375")
    page.set_viewport_size(WIDE)
    # The toggle overrides the system setting, and the choice holds on other pages.
    page.click("#theme-toggle")
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    assert not dark(background(page))
    page.goto(live.url + "/services")
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    assert not dark(background(page))
    expect(page.locator("#theme-toggle")).to_have_attribute("aria-pressed", "false")
    page.click("#theme-toggle")
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.emulate_media(color_scheme="light")
    assert dark(background(page))  # the choice wins over the system setting
    expect(page.locator("#theme-toggle")).to_have_attribute("aria-pressed", "true")
