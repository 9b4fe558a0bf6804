"""The people picker's backend: whom a user may find, and the JSON page that answers it."""

import pytest
from django.urls import reverse

from accounts.people import people_visible_to, person_for
from accounts.tests.factories import UserFactory
from nexus_site.definitions.enums import MemberRole, Role
from projects.tests.factories import ProjectFactory, add_member
from workspace.tests.chat.factories import make_room

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(db):
    """The caller, with a name none of the searches below match (a random one once held "Adams")."""
    return UserFactory(first_name="Tess", last_name="Quill")


def names(people):
    return sorted(person.first_name for person in people)


def test_finds_people_who_share_a_project_by_name_or_e_mail(user):
    project = ProjectFactory(owner=user)
    ada = add_member(project, user=UserFactory(first_name="Ada", email="countess@example.com"))

    assert list(people_visible_to(user, "ada")) == [ada]
    assert list(people_visible_to(user, "COUNTESS")) == [ada]


def test_finds_the_owner_of_a_project_the_user_is_a_guest_of(user):
    owner = UserFactory(first_name="Olga")
    add_member(ProjectFactory(owner=owner), MemberRole.GUEST, user)

    assert list(people_visible_to(user, "olga")) == [owner]


def test_finds_members_of_a_sub_project_of_a_project_the_user_sees(user):
    from projects import services

    parent = ProjectFactory(owner=user)
    child = services.project_create(actor=user, name="Child", parent=parent)
    bea = add_member(child, user=UserFactory(first_name="Bea"))

    assert list(people_visible_to(user, "bea")) == [bea]


def test_finds_people_who_share_a_private_chat_room(user):
    cleo = UserFactory(first_name="Cleo")
    make_room(user, name="Huddle", members=[cleo])

    assert list(people_visible_to(user, "cleo")) == [cleo]


def test_never_finds_people_outside_the_users_reach(user):
    ProjectFactory(owner=UserFactory(first_name="Zed"))
    other = ProjectFactory(owner=UserFactory())
    add_member(other, user=UserFactory(first_name="Zelda"))

    assert list(people_visible_to(user, "z")) == []
    assert list(people_visible_to(user, "example.com")) == [user]  # only themself


def test_an_exact_e_mail_finds_anyone_active(user):
    stranger = UserFactory(first_name="Sam", email="sam@example.org")
    UserFactory(first_name="Gone", email="gone@example.org", is_active=False)

    assert list(people_visible_to(user, "Sam@Example.org")) == [stranger]
    assert list(people_visible_to(user, "gone@example.org")) == []
    assert list(people_visible_to(user, "sam@example.or")) == []


def test_inactive_people_are_never_found(user):
    project = ProjectFactory(owner=user)
    gone = add_member(project, user=UserFactory(first_name="Gus"))
    gone.is_active = False
    gone.save(update_fields=["is_active"])

    assert list(people_visible_to(user, "gus")) == []


def test_an_empty_query_finds_nobody(user):
    add_member(ProjectFactory(owner=user))

    assert list(people_visible_to(user, "  ")) == []


def test_an_administrator_finds_every_active_user():
    admin = UserFactory(role=Role.ADMIN)
    far = UserFactory(first_name="Faraway")

    assert list(people_visible_to(admin, "faraway")) == [far]


def test_every_word_must_match(user):
    project = ProjectFactory(owner=user)
    ada = add_member(project, user=UserFactory(first_name="Ada", last_name="Byron"))
    add_member(project, user=UserFactory(first_name="Ada", last_name="Moss"))

    assert list(people_visible_to(user, "ada byr")) == [ada]


def test_results_are_capped(user):
    project = ProjectFactory(owner=user)
    for _ in range(15):
        add_member(project, user=UserFactory(first_name="Many"))

    assert len(people_visible_to(user, "many")) == 10


def test_person_for_takes_an_id_only_within_reach(user):
    project = ProjectFactory(owner=user)
    known = add_member(project)
    stranger = UserFactory()

    assert person_for(user, str(known.pk)) == known
    assert person_for(user, str(stranger.pk)) is None
    assert person_for(user, stranger.email) == stranger
    assert person_for(user, "not an id") is None


def test_people_page_answers_json_for_the_signed_in_user(client, user):
    project = ProjectFactory(owner=user)
    ada = add_member(project, user=UserFactory(first_name="Ada", last_name="Byron"))
    ProjectFactory(owner=UserFactory(first_name="Adam"))
    client.force_login(user)

    response = client.get(reverse("accounts:people"), {"q": "ad"})

    assert response.status_code == 200
    assert response.json() == {
        "results": [{"id": str(ada.pk), "name": "Ada Byron", "email": ada.email}]
    }


def test_people_page_needs_login(client):
    response = client.get(reverse("accounts:people"), {"q": "a"})

    assert response.status_code == 302


def test_people_page_answers_a_too_large_reach_with_an_error_not_a_500(client, user, monkeypatch):
    from nexus_site.exceptions import ValidationError
    from relations import access

    def too_many(_user):
        raise ValidationError("Too many containers.")

    monkeypatch.setattr(access, "reachable_containers", too_many)
    client.force_login(user)

    response = client.get(reverse("accounts:people"), {"q": "a"})

    assert response.status_code == 422
    assert response.json()["error"]["message"] == "Too many containers."
