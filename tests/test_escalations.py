"""Escalations closed by the one access gate, each tried from both ends of the relationship.

Every test is an attack that worked before the gate: a write that handed its actor (or the
people they chose) more than the actor could manage. Each checks the refusal and that nothing
was written, and, where the write is allowed, that it is allowed from the rightful end.
"""

import pytest

from accounts.tests.factories import UserFactory
from conftest import bearer_client
from nexus_site.definitions.enums import MemberRole, Permission, RelationType
from nexus_site.events.models import Event
from patterns.models import ExecutionStatus, StepStatus
from patterns.services import definition_problems, execution_start
from patterns.tests.factories import make_pattern
from projects.tests.factories import ProjectFactory, add_member
from relations.access import can
from relations.models import Relationship
from relations.nodes import node_of
from relations.services import relationship_record
from workspace.chat import services as chat_services
from workspace.tests.chat.factories import make_room, post
from workspace.tests.documents.factories import DocumentFactory, share
from workspace.tests.files.factories import upload_file

pytestmark = pytest.mark.django_db
RELATIONS = "/api/v1/relations/"


def node(obj) -> str:
    return str(node_of(obj))


def parent_edges() -> int:
    return Relationship.objects.filter(type=RelationType.PARENT).count()


@pytest.fixture
def run_as(django_capture_on_commit_callbacks):
    """Return a function running ``steps`` as ``actor`` to the end (eager worker)."""

    def run(actor, steps):
        pattern = make_pattern(actor, steps=steps)
        with django_capture_on_commit_callbacks(execute=True):
            execution, _created = execution_start(actor=actor, pattern=pattern, input={})
        execution.refresh_from_db()
        return execution

    return run


# --- project takeover through a child relationship ------------------------------------------


@pytest.fixture
def takeover():
    """A guest of someone else's project P, who owns a project M of their own."""
    victim = ProjectFactory()
    guest = add_member(victim, MemberRole.GUEST)
    own = ProjectFactory(owner=guest)
    return victim, guest, own


@pytest.mark.parametrize(
    "spelling",
    [
        lambda victim, own: {"source": node(victim), "target": node(own), "type": "child"},
        lambda victim, own: {"source": node(own), "target": node(victim), "type": "parent"},
    ],
    ids=["P child M", "M parent P"],
)
def test_a_guest_cannot_put_the_project_under_their_own(takeover, spelling):
    victim, guest, own = takeover
    client = bearer_client(guest)

    response = client.post(RELATIONS, spelling(victim, own), format="json")

    assert response.status_code == 403
    assert parent_edges() == 0
    assert not can(guest, Permission.MANAGE, node_of(victim))
    assert client.patch(f"/api/v1/projects/{victim.pk}/", {"name": "Mine"}).status_code == 403


def test_the_pattern_step_cannot_take_over_a_project_either(takeover, run_as):
    victim, guest, own = takeover
    step = {
        "id": "take",
        "type": "relationship.create",
        "parameters": {"source": node(victim), "target": node(own), "type": "child"},
    }

    execution = run_as(guest, [step])

    assert execution.status == ExecutionStatus.FAILED
    assert execution.steps.get().status == StepStatus.FAILED
    assert execution.steps.get().error["code"] == "authorization"
    assert parent_edges() == 0
    assert not can(guest, Permission.MANAGE, node_of(victim))


def test_the_owner_of_the_child_needs_edit_on_the_parent():
    """From the other end: a project's owner may not hang it under a project they only view
    (its people would reach it, and it would change that project)."""
    viewed = ProjectFactory()
    owner = add_member(viewed, MemberRole.GUEST)
    child = ProjectFactory(owner=owner)

    response = bearer_client(owner).post(
        RELATIONS,
        {"source": node(child), "target": node(viewed), "type": "child"},
        format="json",
    )

    assert response.status_code == 403
    assert parent_edges() == 0


def test_manage_on_the_child_and_edit_on_the_parent_may_link_them():
    parent = ProjectFactory()
    editor = add_member(parent, MemberRole.MEMBER)
    child = ProjectFactory(owner=editor)

    response = bearer_client(editor).post(
        RELATIONS,
        {"source": node(child), "target": node(parent), "type": "child"},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["source"], body["type"], body["target"]) == (node(parent), "parent", node(child))
    assert can(parent.owner, Permission.MANAGE, node_of(child))  # the parent's people reach it


def test_a_project_named_but_unseen_is_422_not_403():
    hidden = ProjectFactory()
    outsider = UserFactory()
    own = ProjectFactory(owner=outsider)

    response = bearer_client(outsider).post(
        RELATIONS, {"source": node(hidden), "target": node(own), "type": "child"}, format="json"
    )

    assert response.status_code == 422
    assert "source" in response.json()["error"]["details"]


# --- a file moved into the editor's own project ---------------------------------------------


@pytest.fixture
def shared_file():
    """A file in project P, its uploader the owner; an editor of P owns a project M."""
    project = ProjectFactory()
    file = upload_file(project.owner, b"budget", "budget.xlsx", project=project)
    editor = add_member(project, MemberRole.MEMBER)
    own = ProjectFactory(owner=editor)
    return file, project, editor, own


@pytest.mark.parametrize("move_to", ["own", None], ids=["into their project", "out of any"])
def test_an_editor_cannot_move_a_file_out_of_reach(shared_file, move_to):
    file, project, editor, own = shared_file
    target = str(own.pk) if move_to == "own" else None

    response = bearer_client(editor).patch(
        f"/api/v1/files/{file.pk}/", {"project": target}, format="json"
    )

    assert response.status_code == 403
    file.refresh_from_db()
    assert file.project_id == project.pk
    assert not can(editor, Permission.MANAGE, node_of(file))
    assert can(project.owner, Permission.VIEW, node_of(file))


def test_an_editor_may_still_rename_the_file(shared_file):
    file, _project, editor, _own = shared_file

    response = bearer_client(editor).patch(
        f"/api/v1/files/{file.pk}/", {"name": "budget-2027.xlsx"}, format="json"
    )

    assert response.status_code == 200
    file.refresh_from_db()
    assert file.name == "budget-2027.xlsx"


def test_the_files_manager_moves_it_only_into_a_project_they_edit():
    """From the other end: managing the file is not enough; the new project must be theirs
    to add to."""
    owner = UserFactory()
    file = upload_file(owner, b"notes", "notes.txt")
    viewed = ProjectFactory()
    add_member(viewed, MemberRole.GUEST, user=owner)
    edited = ProjectFactory()
    add_member(edited, MemberRole.MEMBER, user=owner)
    client = bearer_client(owner)

    refused = client.patch(f"/api/v1/files/{file.pk}/", {"project": str(viewed.pk)}, format="json")
    moved = client.patch(f"/api/v1/files/{file.pk}/", {"project": str(edited.pk)}, format="json")

    assert refused.status_code == 403
    assert moved.status_code == 200
    file.refresh_from_db()
    assert file.project_id == edited.pk


# --- re-sharing through attachments ---------------------------------------------------------


@pytest.fixture
def viewed_file():
    """A file its owner shared with a viewer as view only."""
    owner = UserFactory()
    file = upload_file(owner, b"secret plans", "plans.txt")
    viewer = UserFactory()
    relationship_record(
        source=node_of(viewer),
        target=node_of(file),
        type=RelationType.MEMBER,
        metadata={"permission": Permission.VIEW.value},
    )
    return file, viewer


def test_a_chat_attachment_grants_nothing_on_the_file(viewed_file):
    file, viewer = viewed_file
    reader = UserFactory()
    room = make_room(viewer, members=[reader])
    message = post(viewer, room, "have a look", attachments=[file.pk])
    client = bearer_client(reader)
    through_message = (
        f"/api/v1/chat/rooms/{room.pk}/messages/{message.pk}/attachments/{file.pk}/download/"
    )

    assert not can(reader, Permission.VIEW, node_of(file))
    assert client.get(f"/api/v1/files/{file.pk}/").status_code == 404
    download = client.get(through_message)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"secret plans"

    chat_services.message_delete(actor=viewer, message=message)

    assert client.get(through_message).status_code == 404
    assert not can(reader, Permission.VIEW, node_of(file))


def test_a_chat_attachment_is_404_to_someone_outside_the_room(viewed_file):
    file, viewer = viewed_file
    room = make_room(viewer, members=[UserFactory()])
    message = post(viewer, room, "have a look", attachments=[file.pk])

    response = bearer_client(UserFactory()).get(
        f"/api/v1/chat/rooms/{room.pk}/messages/{message.pk}/attachments/{file.pk}/download/"
    )

    assert response.status_code == 404


def test_an_editor_of_a_document_cannot_share_it():
    """Documents keep needing manage to share: edit is not enough to hand it on."""
    document = DocumentFactory()
    editor = UserFactory()
    share(document, editor, Permission.EDIT)
    outsider = UserFactory()

    response = bearer_client(editor).post(
        f"/api/v1/documents/{document.pk}/shares/",
        {"user": str(outsider.pk), "permission": "view"},
        format="json",
    )

    assert response.status_code == 403
    assert not can(outsider, Permission.VIEW, node_of(document))


# --- forged events --------------------------------------------------------------------------


def publish_step(**parameters):
    return {"id": "announce", "type": "event.publish", "parameters": parameters}


def test_a_pattern_cannot_publish_a_built_in_event_type():
    problems = definition_problems({"steps": [publish_step(type="mail_received")]})

    assert [problem.code for problem in problems] == ["invalid_parameters"]


def test_a_viewer_cannot_publish_into_the_feed_of_a_project(run_as):
    project = ProjectFactory()
    guest = add_member(project, MemberRole.GUEST)

    execution = run_as(guest, [publish_step(type="invoice_due", node=node(project))])

    assert execution.status == ExecutionStatus.FAILED
    assert execution.steps.get().error["code"] == "authorization"
    assert not Event.objects.filter(type__startswith="custom.").exists()


def test_an_editor_publishes_a_custom_event_that_shows_its_actor(run_as):
    project = ProjectFactory()
    editor = add_member(project, MemberRole.MEMBER)

    execution = run_as(editor, [publish_step(type="invoice_due", node=node(project))])

    assert execution.status == ExecutionStatus.SUCCEEDED
    events = bearer_client(project.owner).get("/api/v1/events/", {"type": "custom.invoice_due"})
    [event] = events.json()["results"]
    assert event["actor"] == str(editor.pk)
