"""The project pages that write: new, edit, archive, delete, sub-projects and members."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from nexus_site.definitions.enums import MemberRole, Role
from projects import selectors, services
from projects.models import Project, ProjectStatus
from projects.tests.factories import ProjectFactory, TaskFactory, add_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def project(user):
    return ProjectFactory(owner=user, name="Apollo")


def new_project(**fields):
    return {
        "name": "Gemini",
        "description": "Two at a time",
        "status": "planning",
        "priority": "high",
        "start_date": "2027-01-04",
        "end_date": "2027-03-01",
        "budget": "1500.50",
        "parent": "",
        **fields,
    }


def parent_of(project):
    return selectors.project_family(project)[0]


# --- list ------------------------------------------------------------------------------------


def test_empty_list_offers_a_new_project_button_instead_of_the_api(signed_in):
    html = signed_in.get(reverse("projects:list")).content.decode()

    assert "through the API" not in html
    assert f'href="{reverse("projects:new")}"' in html


def test_a_guest_account_gets_no_new_project_button(client):
    client.force_login(UserFactory(role=Role.GUEST))

    html = client.get(reverse("projects:list")).content.decode()

    assert f'href="{reverse("projects:new")}"' not in html


def test_archived_projects_leave_the_list_and_show_under_archived(signed_in, user):
    ProjectFactory(owner=user, name="Running")
    ProjectFactory(owner=user, name="Finished", status=ProjectStatus.COMPLETED)
    ProjectFactory(owner=user, name="Dropped", status=ProjectStatus.CANCELLED)

    current = signed_in.get(reverse("projects:list")).content.decode()
    archived = signed_in.get(reverse("projects:list") + "?archived=1").content.decode()

    assert ("Running" in current, "Finished" in current, "Dropped" in current) == (
        True,
        False,
        False,
    )
    assert ("Running" in archived, "Finished" in archived, "Dropped" in archived) == (
        False,
        True,
        True,
    )


def test_list_runs_the_same_number_of_queries_for_2_and_20_projects(signed_in, user):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert signed_in.get(reverse("projects:list")).status_code == 200
        return len(queries)

    for _ in range(2):
        TaskFactory(project=ProjectFactory(owner=user))
    few = count()
    for _ in range(18):
        TaskFactory(project=ProjectFactory(owner=user))
    assert count() == few


# --- new -------------------------------------------------------------------------------------


def test_new_project_form_creates_the_project_and_opens_its_board(signed_in, user):
    response = signed_in.post(reverse("projects:new"), new_project())

    project = Project.objects.get(name="Gemini")
    assert response.status_code == 302
    assert response.url == reverse("projects:board", args=[project.pk])
    assert project.owner == user
    assert (project.priority, str(project.budget)) == ("high", "1500.50")
    assert str(project.end_date) == "2027-03-01"


def test_new_project_with_an_end_before_its_start_keeps_what_was_typed(signed_in):
    response = signed_in.post(
        reverse("projects:new"), new_project(start_date="2027-03-01", end_date="2027-01-01")
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert "cannot be before the start date" in html
    assert 'value="Gemini"' in html
    assert "Two at a time" in html
    assert not Project.objects.filter(name="Gemini").exists()


def test_a_guest_account_cannot_create_a_project(client):
    client.force_login(UserFactory(role=Role.GUEST))

    response = client.post(reverse("projects:new"), new_project())

    assert response.status_code == 422
    assert "Guests cannot create projects" in response.content.decode()
    assert not Project.objects.filter(name="Gemini").exists()


def test_new_sub_project_is_created_under_the_chosen_parent(signed_in, project):
    page = signed_in.get(reverse("projects:new") + f"?parent={project.pk}")
    assert page.context["form"]["parent"].value() == str(project.pk)

    signed_in.post(reverse("projects:new"), new_project(parent=str(project.pk)))

    child = Project.objects.get(name="Gemini")
    assert parent_of(child) == project.pk
    board = signed_in.get(reverse("projects:board", args=[project.pk]))
    assert [sub.name for sub in board.context["children"]] == ["Gemini"]


def test_parent_choices_are_the_projects_the_user_may_edit(signed_in, user, project):
    as_guest = ProjectFactory(name="Guested")
    add_member(as_guest, MemberRole.GUEST, user)
    as_member = ProjectFactory(name="Joined")
    add_member(as_member, MemberRole.MEMBER, user)
    ProjectFactory(name="Stranger")

    form = signed_in.get(reverse("projects:new")).context["form"]

    names = [label for value, label in form.fields["parent"].choices if value]
    assert names == ["Apollo", "Joined"]


def test_choosing_a_parent_the_user_may_only_view_is_refused(signed_in, user):
    guested = ProjectFactory(name="Guested")
    add_member(guested, MemberRole.GUEST, user)

    response = signed_in.post(reverse("projects:new"), new_project(parent=str(guested.pk)))

    assert response.status_code == 422
    assert not Project.objects.filter(name="Gemini").exists()


# --- edit, archive, delete ---------------------------------------------------------------------


def test_edit_page_changes_the_fields_and_records_them(signed_in, project):
    response = signed_in.post(
        reverse("projects:edit", args=[project.pk]),
        new_project(name="Apollo 2", status="active"),
    )

    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.name, project.status) == ("Apollo 2", "active")
    fields = set(selectors.activity_for(project).values_list("field", flat=True))
    assert {"name", "status", "budget"} <= fields


def test_edit_page_with_a_negative_budget_keeps_the_input(signed_in, project):
    response = signed_in.post(
        reverse("projects:edit", args=[project.pk]), new_project(name="Renamed", budget="-5")
    )

    assert response.status_code == 422
    assert 'value="Renamed"' in response.content.decode()
    project.refresh_from_db()
    assert project.name == "Apollo"


def test_edit_page_moves_the_project_under_another(signed_in, user, project):
    other = ProjectFactory(owner=user, name="Program")

    signed_in.post(
        reverse("projects:edit", args=[project.pk]), new_project(name="Apollo", parent=other.pk)
    )

    assert parent_of(project) == other.pk


def test_a_member_without_manage_cannot_move_a_project_and_nothing_changes(client, project):
    member = add_member(project, MemberRole.MEMBER)
    theirs = ProjectFactory(owner=member, name="Theirs")
    client.force_login(member)

    response = client.post(
        reverse("projects:edit", args=[project.pk]),
        new_project(name="Renamed", parent=str(theirs.pk)),
    )

    assert response.status_code == 422
    project.refresh_from_db()
    assert project.name == "Apollo"
    assert parent_of(project) is None


def test_a_guest_gets_403_on_the_edit_page_and_nothing_changes(client, project):
    guest = add_member(project, MemberRole.GUEST)
    client.force_login(guest)

    assert client.get(reverse("projects:edit", args=[project.pk])).status_code == 403
    response = client.post(reverse("projects:edit", args=[project.pk]), new_project())

    assert response.status_code == 403
    project.refresh_from_db()
    assert project.name == "Apollo"


@pytest.mark.parametrize("name", ["edit", "delete", "members", "archive", "task-add"])
def test_another_users_project_answers_404(signed_in, name):
    theirs = ProjectFactory(name="Theirs")

    get = signed_in.get(reverse(f"projects:{name}", args=[theirs.pk]))
    post = signed_in.post(reverse(f"projects:{name}", args=[theirs.pk]), new_project())

    assert get.status_code in (404, 405)
    assert post.status_code == 404
    assert Project.objects.filter(pk=theirs.pk, name="Theirs").exists()


def test_archive_marks_the_project_completed_and_restore_brings_it_back(signed_in, project):
    signed_in.post(reverse("projects:archive", args=[project.pk]))
    project.refresh_from_db()
    assert project.status == ProjectStatus.COMPLETED

    signed_in.post(reverse("projects:archive", args=[project.pk]), {"archive": "0"})
    project.refresh_from_db()
    assert project.status == ProjectStatus.ACTIVE


def test_a_guest_cannot_archive(client, project):
    client.force_login(add_member(project, MemberRole.GUEST))

    response = client.post(reverse("projects:archive", args=[project.pk]), follow=True)

    assert "permission" in response.content.decode()
    project.refresh_from_db()
    assert project.status == ProjectStatus.PLANNING


def test_delete_asks_first_then_deletes(signed_in, project):
    TaskFactory(project=project)

    page = signed_in.get(reverse("projects:delete", args=[project.pk]))
    assert page.status_code == 200
    assert "cannot be undone" in page.content.decode()
    assert Project.objects.filter(pk=project.pk).exists()

    response = signed_in.post(reverse("projects:delete", args=[project.pk]))

    assert response.url == reverse("projects:list")
    assert not Project.objects.filter(pk=project.pk).exists()


def test_a_member_cannot_delete_the_project(client, project):
    client.force_login(add_member(project, MemberRole.MEMBER))

    assert client.get(reverse("projects:delete", args=[project.pk])).status_code == 403
    client.post(reverse("projects:delete", args=[project.pk]))

    assert Project.objects.filter(pk=project.pk).exists()


def test_board_runs_the_same_number_of_queries_for_1_and_8_sub_projects(signed_in, user, project):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert signed_in.get(reverse("projects:board", args=[project.pk])).status_code == 200
        return len(queries)

    services.project_create(actor=user, name="Sub 0", parent=project)
    few = count()
    for number in range(1, 8):
        services.project_create(actor=user, name=f"Sub {number}", parent=project)
    assert count() == few


# --- members ---------------------------------------------------------------------------------


def test_members_page_adds_a_person_by_e_mail_with_a_role(signed_in, project):
    ada = UserFactory(first_name="Ada", email="ada@example.com")

    response = signed_in.post(
        reverse("projects:members", args=[project.pk]),
        {"action": "add", "person": "ADA@example.com", "role": "guest"},
    )

    assert response.status_code == 302
    assert selectors.project_role(project, ada) == "guest"


def test_members_page_adds_a_person_the_picker_found_by_id(signed_in, user, project):
    colleague = UserFactory()
    add_member(ProjectFactory(owner=user), MemberRole.MEMBER, colleague)

    signed_in.post(
        reverse("projects:members", args=[project.pk]),
        {"action": "add", "person": str(colleague.pk), "role": "member"},
    )

    assert selectors.project_role(project, colleague) == "member"


def test_members_page_refuses_an_id_outside_the_users_reach(signed_in, project):
    stranger = UserFactory()

    response = signed_in.post(
        reverse("projects:members", args=[project.pk]),
        {"action": "add", "person": str(stranger.pk), "role": "member"},
    )

    assert response.status_code == 422
    assert "No one you know" in response.content.decode()
    assert selectors.project_role(project, stranger) is None


def test_members_page_changes_a_role_and_removes_a_member(signed_in, project):
    member = add_member(project, MemberRole.MEMBER)
    url = reverse("projects:members", args=[project.pk])

    signed_in.post(url, {"action": "role", "user": member.pk, "role": "manager"})
    assert selectors.project_role(project, member) == "manager"

    signed_in.post(url, {"action": "remove", "user": member.pk})
    assert selectors.project_role(project, member) is None


def test_a_plain_member_cannot_add_anyone_even_as_guest(client, project):
    client.force_login(add_member(project, MemberRole.MEMBER))
    newcomer = UserFactory()

    response = client.post(
        reverse("projects:members", args=[project.pk]),
        {"action": "add", "person": newcomer.email, "role": "guest"},
        follow=True,
    )

    assert "permission" in response.content.decode()
    assert selectors.project_role(project, newcomer) is None


def test_a_member_cannot_make_themself_manager(client, project):
    member = add_member(project, MemberRole.MEMBER)
    client.force_login(member)

    client.post(
        reverse("projects:members", args=[project.pk]),
        {"action": "role", "user": member.pk, "role": "manager"},
    )

    assert selectors.project_role(project, member) == "member"


def test_the_owner_role_cannot_be_handed_out_on_the_members_page(signed_in, project):
    newcomer = UserFactory()

    signed_in.post(
        reverse("projects:members", args=[project.pk]),
        {"action": "add", "person": newcomer.email, "role": "owner"},
    )

    assert selectors.project_role(project, newcomer) is None


def test_a_member_may_leave(client, project):
    member = add_member(project, MemberRole.MEMBER)
    client.force_login(member)

    response = client.post(
        reverse("projects:members", args=[project.pk]), {"action": "remove", "user": member.pk}
    )

    assert response.url == reverse("projects:list")
    assert selectors.project_role(project, member) is None


def test_members_page_of_a_viewer_shows_no_forms(client, project):
    client.force_login(add_member(project, MemberRole.GUEST))

    html = client.get(reverse("projects:members", args=[project.pk])).content.decode()

    assert "data-people-picker" not in html
    assert 'value="role"' not in html


def test_members_page_runs_the_same_number_of_queries_for_2_and_12_members(signed_in, project):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert signed_in.get(reverse("projects:members", args=[project.pk])).status_code == 200
        return len(queries)

    add_member(project)
    few = count()
    for _ in range(10):
        add_member(project)
    assert count() == few


def test_unknown_project_members_page_answers_404(signed_in):
    assert signed_in.get(reverse("projects:members", args=[uuid.uuid4()])).status_code == 404


def test_a_sub_project_links_to_its_parent_for_those_who_see_it(signed_in, client, user, project):
    child = services.project_create(actor=user, name="Child", parent=project)
    outsider = add_member(child, MemberRole.MEMBER)

    mine = signed_in.get(reverse("projects:board", args=[child.pk])).content.decode()
    client.force_login(outsider)
    theirs = client.get(reverse("projects:board", args=[child.pk])).content.decode()

    assert f'href="{reverse("projects:board", args=[project.pk])}">Apollo</a>' in mine
    assert 'id="parent-project"' not in theirs
    assert "Apollo" not in theirs


def test_a_member_of_a_sub_project_edits_it_without_moving_it(client, user, project):
    child = services.project_create(actor=user, name="Child", parent=project)
    member = add_member(child, MemberRole.MEMBER)
    client.force_login(member)

    form = client.get(reverse("projects:edit", args=[child.pk])).context["form"]
    assert form["parent"].value() == str(project.pk)
    response = client.post(
        reverse("projects:edit", args=[child.pk]),
        new_project(name="Child renamed", parent=str(project.pk)),
    )

    assert response.status_code == 302
    child.refresh_from_db()
    assert child.name == "Child renamed"
    assert parent_of(child) == project.pk


def test_edit_page_shows_the_projects_history_in_names(signed_in, user, project):
    ada = add_member(project, user=UserFactory(first_name="Ada", last_name="Byron"))
    other = ProjectFactory(owner=user, name="Program")
    services.project_parent_set(actor=user, project=project, parent=other)
    gone = TaskFactory(project=project, title="Old idea")
    services.task_delete(actor=user, task=gone)

    response = signed_in.get(reverse("projects:edit", args=[project.pk]))

    rows = {(change.field, change.old, change.new) for change in response.context["activity"]}
    assert ("Member", "—", "Ada Byron (Member)") in rows
    assert ("Part of", "—", "Program") in rows
    assert ("Deleted task", "Old idea", "—") in rows
    history = response.content.decode().split('id="activity"')[1]
    for raw in (ada.pk, other.pk, gone.pk):
        assert str(raw) not in history
