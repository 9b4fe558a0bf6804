"""The communication step types run through real executions: mail.send and chat.post."""

import pytest

from accounts.tests.factories import UserFactory
from patterns import steps
from patterns.models import ExecutionStatus
from patterns.services import definition_problems
from workspace.chat.models import ChatMessage
from workspace.mail.models import MailboxEntry, MailFolder, MailMessage
from workspace.tests.chat.factories import make_room, post

pytestmark = pytest.mark.django_db

SOME_ID = "0193a0b0-0000-7000-8000-000000000001"


def step(step_id, step_type, **parameters):
    return {"id": step_id, "type": step_type, "parameters": parameters}


def output_of(execution, step_id):
    return execution.steps.get(step_id=step_id).output


def problems_of(step_type, parameters):
    steps = [{"id": "s", "type": step_type, "parameters": parameters}]
    return [problem.code for problem in definition_problems({"steps": steps})]


# --- mail.send -------------------------------------------------------------------------------


def mail_step(to, cc=(), subject="Kick-off", body="See you at ten."):
    return step("mail", "mail.send", to=list(to), cc=list(cc), subject=subject, body=body)


def test_mail_send_delivers_a_copy_to_every_recipient(run_steps, user, other_user):
    # given
    third = UserFactory()
    # when
    execution = run_steps(user, [mail_step([other_user.email.upper()], cc=[third.email])])
    # then
    assert execution.status == ExecutionStatus.SUCCEEDED
    sent = MailboxEntry.objects.get(user=user)
    assert sent.folder == MailFolder.SENT
    assert sent.message.subject == "Kick-off"
    inbox = MailboxEntry.objects.filter(folder=MailFolder.INBOX, message=sent.message)
    assert {entry.user for entry in inbox} == {other_user, third}
    assert output_of(execution, "mail") == {"message": str(sent.pk), "recipients": 2}


def test_mail_send_has_no_undo_and_the_message_stays_sent(run_then_fail, user, other_user):
    # when
    execution = run_then_fail(user, [mail_step([other_user.email])])
    # then: the run is undone as far as it can be, the mail is not recalled
    assert steps.get("mail.send").undo is None
    assert execution.status == ExecutionStatus.COMPENSATED
    assert MailboxEntry.objects.filter(user=other_user, folder=MailFolder.INBOX).exists()


def test_mail_send_to_an_unknown_address_sends_nothing(run_steps, user):
    # when
    execution = run_steps(user, [mail_step(["nobody@example.com"])])
    # then
    assert execution.error["code"] == "validation"
    assert not MailMessage.objects.exists()


@pytest.mark.parametrize(
    "parameters",
    [
        {"to": [], "subject": "S", "body": "B"},
        {"to": "a@example.com", "subject": "S", "body": "B"},
        {"to": ["not an address"], "subject": "S", "body": "B"},
        {"to": ["a@example.com"], "body": "B"},
        {"to": ["a@example.com"], "subject": "S", "body": "B", "bcc": ["b@example.com"]},
    ],
)
def test_mail_send_rejects_bad_parameters(parameters):
    assert "invalid_parameters" in problems_of("mail.send", parameters)


# --- chat.post -------------------------------------------------------------------------------


def test_chat_post_posts_in_the_room(run_steps, user):
    # given
    room = make_room(user)
    # when
    execution = run_steps(user, [step("post", "chat.post", room=str(room.pk), body="Deployed.")])
    # then
    message = ChatMessage.objects.get()
    assert (message.room, message.author, message.body) == (room, user, "Deployed.")
    assert output_of(execution, "post") == {"message": str(message.pk), "room": str(room.pk)}


def test_chat_post_replies_in_a_thread(run_steps, user):
    # given
    room = make_room(user)
    question = post(user, room, "Ready?")
    # when
    run_steps(
        user,
        [step("post", "chat.post", room=str(room.pk), body="Yes.", reply_to=str(question.pk))],
    )
    # then
    assert ChatMessage.objects.get(body="Yes.").reply_to == question


def test_chat_post_is_undone_by_deleting_the_message(run_then_fail, user):
    # given
    room = make_room(user)
    # when
    execution = run_then_fail(user, [step("post", "chat.post", room=str(room.pk), body="Oops")])
    # then
    assert execution.status == ExecutionStatus.COMPENSATED
    message = ChatMessage.objects.get()
    assert message.is_deleted
    assert message.body == ""


def test_chat_post_in_another_users_room_fails_as_not_found(run_steps, user, other_user):
    # given
    theirs = make_room(other_user)
    # when
    execution = run_steps(user, [step("post", "chat.post", room=str(theirs.pk), body="Hi")])
    # then
    assert execution.error["code"] == "not_found"
    assert not ChatMessage.objects.exists()


@pytest.mark.parametrize(
    "parameters",
    [
        {"room": SOME_ID},
        {"room": SOME_ID, "body": ""},
        {"room": "general", "body": "Hi"},
        {"room": SOME_ID, "body": "Hi", "reply_to": 7},
    ],
)
def test_chat_post_rejects_bad_parameters(parameters):
    assert "invalid_parameters" in problems_of("chat.post", parameters)
