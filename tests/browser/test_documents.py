import pytest

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from workspace.documents import services
from workspace.documents.models import Document
from workspace.tests.documents.factories import DocumentFactory


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_email").fill(user.email)
    page.locator("#id_password").fill(DEFAULT_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_editing_a_document_saves_a_new_version_shown_in_its_history(live_server, page):
    user = UserFactory()
    document = DocumentFactory(owner=user, title="Launch plan", doc_type="word")
    log_in(page, live_server, user)

    page.goto(f"{live_server.url}/documents/")
    page.get_by_role("link", name="Launch plan").click()
    page.wait_for_url(f"**/documents/{document.pk}/")
    page.get_by_role("button", name="+ Paragraph").click()
    page.locator('#doc-body li[data-block="paragraph"] textarea').last.fill("Ship on Friday")
    with page.expect_response(f"**/api/v1/documents/{document.pk}/") as api:
        page.get_by_role("button", name="Save").click()
    assert api.value.status == 200
    page.get_by_text("Saved as version 2.").wait_for()

    page.get_by_role("link", name="History").click()
    page.wait_for_url(f"**/documents/{document.pk}/history/")
    assert page.locator('#versions tr[data-version="2"]').is_visible()
    assert "Ship on Friday" in page.locator("#diff").inner_text()
    document.refresh_from_db()
    assert document.version == 2
    assert document.content["blocks"][-1] == {"type": "paragraph", "text": "Ship on Friday"}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_stale_save_shows_the_conflict_and_keeps_the_edit(live_server, page):
    user = UserFactory()
    document = DocumentFactory(owner=user, title="Budget", doc_type="excel")
    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/documents/{document.pk}/")

    services.document_update(actor=user, document=document, version=1, title="Budget 2026")
    page.locator('input[data-ref="B1"]').fill("42")
    with page.expect_response(f"**/api/v1/documents/{document.pk}/") as api:
        page.get_by_role("button", name="Save").click()

    assert api.value.status == 409
    page.locator("#doc-error").wait_for()
    assert "version 2" in page.locator("#doc-error").inner_text()
    assert page.locator('input[data-ref="B1"]').input_value() == "42"
    assert Document.objects.get(pk=document.pk).version == 2


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_following_a_link_with_unsaved_edits_asks_first_and_not_after_saving(live_server, page):
    user = UserFactory()
    document = DocumentFactory(owner=user, title="Draft", doc_type="word")
    log_in(page, live_server, user)
    editor = f"{live_server.url}/documents/{document.pk}/"
    page.goto(editor)
    asked = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", answer)
    page.get_by_role("button", name="+ Paragraph").click()
    page.locator('#doc-body li[data-block="paragraph"] textarea').last.fill("Not saved yet")
    page.get_by_role("link", name="History").click()

    assert asked == ["You have unsaved changes. Leave this page and lose them?"]
    assert page.url == editor
    assert page.locator('#doc-body li[data-block="paragraph"] textarea').last.input_value() == (
        "Not saved yet"
    )

    with page.expect_response(f"**/api/v1/documents/{document.pk}/"):
        page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved as version 2.").wait_for()
    page.get_by_role("link", name="History").click()
    page.wait_for_url(f"**/documents/{document.pk}/history/")
    assert len(asked) == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_closing_the_page_with_unsaved_edits_raises_the_before_unload_prompt(live_server, page):
    user = UserFactory()
    document = DocumentFactory(owner=user, title="Draft", doc_type="powerpoint")
    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/documents/{document.pk}/")
    kinds = []
    page.on("dialog", lambda dialog: (kinds.append(dialog.type), dialog.dismiss()))

    page.get_by_role("button", name="+ Slide").click()
    page.locator('input[name="slide-title"]').last.fill("Unsaved slide")
    page.close(run_before_unload=True)
    page.wait_for_timeout(300)

    assert kinds == ["beforeunload"]
