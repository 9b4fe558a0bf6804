"""Comments on a task page, as a user: a comment with a mention chosen from the @ completion,
an edit (its history kept), a reply and a delete that leaves a marker; in English and in
Arabic (right to left). The steps find their controls by structure, so they read the same in
both languages."""

import pytest

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from comments.models import Comment
from projects.tests.factories import ProjectFactory, TaskFactory, add_member


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_email").fill(user.email)
    page.locator("#id_password").fill(DEFAULT_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("language", "width"), [("en", 1280), ("ar", 390)], ids=["en", "ar"])
def test_comment_with_a_mention_edit_reply_and_delete_on_a_task(
    live_server, browser, language, width
):
    from playwright.sync_api import expect

    alice = UserFactory(first_name="Alice", last_name="Owner", language=language)
    task = TaskFactory(project=ProjectFactory(owner=alice), title="Launch")
    bob = add_member(task.project, user=UserFactory(first_name="Bobby", last_name="Stone"))
    UserFactory(first_name="Bobby", last_name="Outsider")  # cannot see the task: not offered
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    log_in(page, live_server, alice)
    page.goto(f"{live_server.url}/projects/tasks/{task.pk}/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")

    # A comment whose mention is chosen from the completion.
    box = page.locator("#comment-new-body")
    box.press_sequentially("Please review @bob")
    people = page.locator("#comment-new-people .mention-menu__item")
    expect(people).to_have_count(1)
    expect(people.first).to_contain_text("Bobby Stone")
    people.first.click()
    expect(box).to_have_value(f"Please review @{bob.email} ")
    box.press_sequentially("**today**")
    page.locator("#comment-new button[type=submit]").click()
    page.wait_for_url(f"**/projects/tasks/{task.pk}/#comment-*")
    comment = Comment.objects.get()
    item = page.locator(f"#comment-{comment.pk}")
    expect(item.locator("a.mention")).to_have_text("@Bobby Stone")
    expect(item.locator(".comment__body strong")).to_have_text("today")
    assert list(comment.mentions.all()) == [bob]

    # Edit: the new body shows, the old one is kept in its history.
    item.locator(".comment__action summary").last.click()
    item.locator(f"#edit-{comment.pk}-body").fill("Please review by *Friday*")
    item.locator(f"#edit-{comment.pk} button[type=submit]").click()
    page.wait_for_url(f"**/projects/tasks/{task.pk}/#comment-{comment.pk}")
    item = page.locator(f"#comment-{comment.pk}")
    expect(item.locator(".comment__body em")).to_have_text("Friday")
    expect(item.locator(".comment__edited")).to_be_visible()
    expect(item.locator(".comment__history")).to_have_count(1)

    # Reply in the thread.
    item.locator(".comment__action summary").first.click()
    item.locator(f"#reply-{comment.pk}-body").fill("On it")
    item.locator(f"#reply-{comment.pk} button[type=submit]").click()
    reply = Comment.objects.get(body="On it")
    page.wait_for_url(f"**/projects/tasks/{task.pk}/#comment-{reply.pk}")
    expect(
        page.locator(f"#comment-{comment.pk} .comment-replies #comment-{reply.pk}")
    ).to_contain_text("On it")

    # Delete the first comment: a marker stays and the reply keeps its place.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#comment-{comment.pk} > .comment__actions .comment__delete button").click()
    page.wait_for_url(f"**/projects/tasks/{task.pk}/#comment-{comment.pk}")
    expect(page.locator(f"#comment-{comment.pk}")).to_have_class("comment comment--deleted")
    expect(
        page.locator(f"#comment-{comment.pk} .comment-replies #comment-{reply.pk}")
    ).to_be_visible()
    comment.refresh_from_db()
    assert comment.is_deleted
    assert comment.body == ""
    page.context.close()
