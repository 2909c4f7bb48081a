"""The media library in a real browser: upload with the progress bar, the thumbnail loads, a refusal is said in place."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.support.images import png

pytestmark = pytest.mark.browser


def test_upload_a_picture_see_its_thumbnail_and_a_fake_one_refused(page, live_server, trainer, tmp_path):
    good, bad = tmp_path / "team.png", tmp_path / "evil.png"
    good.write_bytes(png((300, 200)))
    bad.write_bytes(b"<html><script>alert(1)</script></html>")
    sign_in(page, live_server)
    page.goto(f"{live_server}/media")
    page.get_by_label("File").set_input_files(str(good))
    page.get_by_label("Description").fill("The team at the whiteboard")
    with page.expect_navigation():  # the library comes back: its upload script must run before the next upload
        page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("Added “team.png” to your library.")).to_be_visible()
    thumbnail = page.get_by_role("img", name="The team at the whiteboard")
    expect(thumbnail).to_be_visible()
    expect(thumbnail).to_have_js_property("complete", True)
    assert thumbnail.evaluate("img => img.naturalWidth > 0")  # served, and an image
    page.get_by_label("File").set_input_files(str(bad))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#media-status")).to_contain_text("not a file the library takes")
    expect(page.get_by_test_id("media-item")).to_have_count(1)
