"""The account, user, endpoint and image-build pages in headless Chromium: forms that PATCH,
DELETE, upload a file and show a token once all work with the CSRF token, under the CSP."""

from __future__ import annotations

import io
import re
import tarfile

from playwright.sync_api import Page, expect

from tests.support.browser import shot
from tests.support.console import PASSWORD, PREFIX

NEW_PASSWORD = "a brand new password"


def log_in(page: Page, url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page).to_have_url(url + "/")  # the home page


def test_users_endpoints_tokens_and_password_pages(live, browser, page):
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, live.url, "admin")
    page.click("nav >> text=Users")
    expect(page).to_have_url(live.url + "/users")
    form = page.locator("#new-user")
    form.locator("input[name=username]").fill("dana")
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("select[name=role]").select_option("operator")
    form.locator("button[type=submit]").click()
    row = page.locator('tr[data-user="dana"]')
    expect(row.locator("select[name=role]")).to_have_value("operator")
    row.locator("select[name=role]").select_option("read-only")
    with page.expect_navigation():  # the page reloads once the change is saved
        row.locator("button[type=submit]").click()
    expect(page.locator('tr[data-user="dana"] select[name=role]')).to_have_value("read-only")
    shot(page, "10-users")
    page.locator('tr[data-user="dana"] button.danger').click()
    expect(page.locator('tr[data-user="dana"]')).to_have_count(0)

    page.click("nav >> text=Endpoints")
    form = page.locator("#new-endpoint")
    form.locator("input[name=name]").fill("lab")
    form.locator("input[name=url]").fill("tcp://127.0.0.1:1")
    form.locator("input[name=force]").check()  # nothing listens there: saved anyway
    form.locator("button[type=submit]").click()
    lab = page.locator('tr[data-endpoint="lab"]')
    expect(lab.locator(".warning")).to_be_visible()
    expect(lab.locator(".warning")).to_contain_text("plain TCP without TLS")
    lab.locator("button", has_text="test").click()
    expect(lab.locator(".probe")).to_contain_text("unreachable")
    shot(page, "11-endpoints")

    page.click("nav >> text=Account")
    page.locator("#token-form input[name=name]").fill("ci")
    page.locator("#token-form button[type=submit]").click()
    expect(page.locator("#new-token")).to_have_text(re.compile(r"^sdk_\S{20,}$"))
    token = page.locator("#new-token").text_content()
    page.reload()
    expect(page.locator("#tokens")).to_contain_text("ci")
    assert token not in page.content()
    page.locator("#tokens button.danger").click()
    expect(page.locator("#tokens")).to_contain_text("No tokens.")

    other = browser.new_context()
    elsewhere = other.new_page()
    log_in(elsewhere, live.url, "admin")
    page.locator("#password input[name=current_password]").fill(PASSWORD)
    page.locator("#password input[name=new_password]").fill(NEW_PASSWORD)
    with page.expect_response(f"{live.url}/api/auth/password") as changed:
        page.locator("#password button[type=submit]").click()
    assert changed.value.ok
    page.wait_for_load_state()
    expect(page.locator("header .who")).to_contain_text("admin")  # this browser stays in
    expect(page.locator("#notice")).to_have_text("Password changed: your other sessions are logged out.")
    shot(page, "errpages-08-password-changed")
    page.goto(live.url + "/containers")
    expect(page).to_have_url(live.url + "/containers")
    elsewhere.goto(live.url + "/containers")
    expect(elsewhere).to_have_url(live.url + "/login")  # the other one is out
    other.close()


def test_build_from_an_uploaded_context_on_the_images_page(live, janitor, busybox_image, page, tmp_path):
    context = tmp_path / "context.tar.gz"
    with tarfile.open(context, "w:gz") as tar:
        data = f"FROM {busybox_image}\nRUN echo 'page build {PREFIX}'\n".encode()
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    tag = f"{PREFIX}/page-built:1"
    log_in(page, live.url, "oper")
    page.goto(live.url + "/images")
    form = page.locator("form[data-api='/api/images/build']")
    form.locator("input[name=context]").set_input_files(str(context))
    form.locator("input[name=tag]").fill(tag)
    form.locator("button[type=submit]").click()
    progress = page.locator("#build-progress")
    expect(progress).to_contain_text(f"page build {PREFIX}", timeout=30000)
    expect(progress).to_contain_text(f"done: {tag} sha256:", timeout=30000)
    shot(page, "12-build")
    assert any(tag in i.tags for i in janitor.engine.images.list())


def test_pull_and_push_with_progress_on_the_images_page(live, janitor, registry_busybox_image, page):
    log_in(page, live.url, "oper")
    page.goto(live.url + "/images")
    pull = page.locator("form[data-api='/api/images/pull']")
    pull.locator("input[name=reference]").fill(registry_busybox_image)
    pull.locator("button[type=submit]").click()
    expect(page.locator("#pull-progress")).to_contain_text("Digest: sha256:", timeout=30000)
    expect(page.locator("#pull-progress")).to_contain_text(f"done: {registry_busybox_image}")
    target = registry_busybox_image.rsplit(":", 1)[0] + f"-{PREFIX}:pushed"
    janitor.engine.images.get(registry_busybox_image).tag(target)
    push = page.locator("form[data-api='/api/images/push']")
    push.locator("input[name=reference]").fill(target)
    push.locator("button[type=submit]").click()
    expect(page.locator("#push-progress")).to_contain_text(f"done: {target} sha256:", timeout=30000)
    shot(page, "13-pull-push")
