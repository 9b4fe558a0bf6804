"""The schedule pages at /patterns/schedules/: list, new, detail, edit, pause, delete."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from patterns.models import Execution, PatternSchedule
from patterns.services import pattern_schedule_save
from patterns.tasks import run_scheduled_pattern
from patterns.tests.factories import make_pattern

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_catalogue")]
SCHEMA = {
    "type": "object",
    "properties": {"who": {"type": "string", "title": "Who"}, "count": {"type": "integer"}},
    "required": ["who"],
}


@pytest.fixture
def mine(user):
    return make_pattern(user, key="mine", name="Greet", input_schema=SCHEMA)


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def schedule_of(user, pattern, **timing):
    return pattern_schedule_save(
        actor=user,
        pattern=pattern,
        input={"who": "Ada"},
        run_as=user,
        **(timing or {"every_minutes": 10}),
    )


def create_url(pattern) -> str:
    return f"{reverse('patterns:schedule-create')}?pattern={pattern.key}"


def test_the_pattern_pages_link_to_the_schedules(signed_in, mine):
    listing = signed_in.get(reverse("patterns:list")).content.decode()
    page = signed_in.get(reverse("patterns:pattern", args=["mine"])).content.decode()

    assert reverse("patterns:schedules") in listing
    assert create_url(mine) in page


def test_a_new_schedule_starts_by_choosing_a_pattern_the_user_may_run(signed_in, mine, other_user):
    make_pattern(other_user, key="theirs")

    html = signed_in.get(reverse("patterns:schedule-create")).content.decode()

    assert 'value="mine"' in html
    assert 'value="theirs"' not in html


def test_the_form_asks_the_patterns_input_field_by_field(signed_in, mine):
    html = signed_in.get(create_url(mine)).content.decode()

    assert 'name="input-who"' in html
    assert 'name="input-count"' in html
    assert 'name="crontab"' in html


def test_creating_a_schedule_by_interval(signed_in, user, mine):
    response = signed_in.post(
        create_url(mine), {"input-who": "Ada", "every_minutes": "15", "enabled": "on"}
    )

    schedule = PatternSchedule.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("patterns:schedule", args=[schedule.pk])
    assert (schedule.run_as, schedule.pattern, schedule.input) == (user, mine, {"who": "Ada"})
    task = PeriodicTask.objects.get(pk=schedule.periodic_task_id)
    assert (task.interval.every, task.enabled) == (15, True)


def test_creating_a_paused_schedule_by_crontab(signed_in, mine):
    signed_in.post(
        create_url(mine), {"input-who": "Ada", "input-count": "2", "crontab": "0 7 * * 1-5"}
    )

    schedule = PatternSchedule.objects.get()
    assert schedule.input == {"who": "Ada", "count": 2}
    task = PeriodicTask.objects.get(pk=schedule.periodic_task_id)
    assert (task.crontab.hour, task.crontab.day_of_week, task.enabled) == ("7", "1-5", False)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"input-who": "Ada", "crontab": "61 * * * *"}, "Not a valid crontab expression"),
        ({"input-who": "Ada"}, "Give either an interval in minutes or a crontab expression."),
        ({"input-who": "Ada", "every_minutes": "5", "crontab": "* * * * *"}, "Give either"),
        ({"every_minutes": "5"}, "This field is required."),
        ({"input-who": "Ada", "input-count": "two", "every_minutes": "5"}, "whole number"),
    ],
)
def test_a_bad_schedule_is_shown_on_the_form_and_nothing_is_saved(signed_in, mine, data, words):
    response = signed_in.post(create_url(mine), {"enabled": "on", **data})

    assert response.status_code == 422
    assert words in response.content.decode()
    assert not PatternSchedule.objects.exists()
    assert not PeriodicTask.objects.filter(task="patterns.tasks.run_scheduled_pattern").exists()


def test_a_pattern_the_user_may_not_run_cannot_be_scheduled(signed_in, other_user):
    theirs = make_pattern(other_user, key="theirs")

    assert signed_in.get(create_url(theirs)).status_code == 404
    assert signed_in.post(create_url(theirs), {"every_minutes": "5"}).status_code == 404
    assert not PatternSchedule.objects.exists()


def test_the_list_shows_only_the_users_schedules(signed_in, user, other_user, mine):
    own = schedule_of(user, mine)
    other = schedule_of(other_user, make_pattern(other_user, key="theirs"))

    html = signed_in.get(reverse("patterns:schedules")).content.decode()

    assert f'id="schedule-{own.pk}"' in html
    assert str(other.pk) not in html
    assert "Every 10 minutes" in html


def test_the_detail_links_the_runs_it_started(
    signed_in, user, mine, django_capture_on_commit_callbacks
):
    schedule = schedule_of(user, mine, crontab="30 6 * * *")
    with django_capture_on_commit_callbacks(execute=True):
        run_scheduled_pattern.apply(kwargs={"schedule_id": str(schedule.pk)}, task_id="t1")
    run = Execution.objects.get()

    html = signed_in.get(reverse("patterns:schedule", args=[schedule.pk])).content.decode()

    assert reverse("patterns:execution", args=[run.pk]) in html
    assert "30 6 * * *" in html
    assert 'id="no-runs"' not in html


def test_editing_a_schedule_shows_its_values_and_saves_the_change(signed_in, user, mine):
    schedule = schedule_of(user, mine)
    url = reverse("patterns:schedule-edit", args=[schedule.pk])

    html = signed_in.get(url).content.decode()
    assert 'name="every_minutes" value="10"' in html
    assert 'value="Ada"' in html

    response = signed_in.post(url, {"input-who": "Grace", "crontab": "0 9 * * *", "enabled": "on"})

    assert response.status_code == 302
    schedule.refresh_from_db()
    task = PeriodicTask.objects.get()
    assert task.pk == schedule.periodic_task_id
    assert (schedule.input, task.interval, task.crontab.hour) == ({"who": "Grace"}, None, "9")


def test_pausing_and_resuming_from_the_page(signed_in, user, mine):
    schedule = schedule_of(user, mine)
    url = reverse("patterns:schedule-enabled", args=[schedule.pk])

    paused = signed_in.post(url, {"enabled": "0"})

    assert paused.status_code == 302
    assert PeriodicTask.objects.get().enabled is False
    assert "Paused" in signed_in.get(paused.url).content.decode()

    signed_in.post(url, {"enabled": "1", "next": "list"})

    assert PeriodicTask.objects.get().enabled is True


def test_deleting_asks_first_then_removes_the_schedule_and_its_task(signed_in, user, mine):
    schedule = schedule_of(user, mine)
    url = reverse("patterns:schedule-delete", args=[schedule.pk])

    assert 'id="delete-form"' in signed_in.get(url).content.decode()
    assert PatternSchedule.objects.exists()

    response = signed_in.post(url)

    assert response.url == reverse("patterns:schedules")
    assert not PatternSchedule.objects.exists()
    assert not PeriodicTask.objects.filter(task="patterns.tasks.run_scheduled_pattern").exists()


@pytest.mark.parametrize(
    ("route", "method"),
    [
        ("patterns:schedule", "get"),
        ("patterns:schedule-edit", "get"),
        ("patterns:schedule-edit", "post"),
        ("patterns:schedule-enabled", "post"),
        ("patterns:schedule-delete", "get"),
        ("patterns:schedule-delete", "post"),
    ],
)
def test_another_users_schedule_is_404_on_every_page(signed_in, other_user, route, method):
    schedule = schedule_of(other_user, make_pattern(other_user, key="theirs", input_schema=SCHEMA))

    response = getattr(signed_in, method)(
        reverse(route, args=[schedule.pk]), {"enabled": "0", "every_minutes": "1"}
    )

    assert response.status_code == 404
    task = PeriodicTask.objects.get()
    assert (task.enabled, task.interval.every) == (True, 10)


def test_the_pages_need_a_signed_in_user(client):
    response = client.get(reverse("patterns:schedules"))

    assert response.status_code == 302
    assert response.url.startswith(reverse(settings.LOGIN_URL))


def test_the_schedule_pages_are_right_to_left_in_arabic(signed_in, user, mine):
    schedule = schedule_of(user, mine)
    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"

    for url in (
        reverse("patterns:schedules"),
        reverse("patterns:schedule", args=[schedule.pk]),
        reverse("patterns:schedule-edit", args=[schedule.pk]),
    ):
        assert '<html lang="ar" dir="rtl">' in signed_in.get(url).content.decode()


def test_the_list_page_runs_the_same_queries_for_one_schedule_or_many(
    signed_in, user, mine, django_capture_on_commit_callbacks
):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = signed_in.get(reverse("patterns:schedules"))
        assert response.status_code == 200
        return len(queries), response.content.decode().count('class="card pattern-list__item"')

    def tick(schedule, message):
        with django_capture_on_commit_callbacks(execute=True):
            run_scheduled_pattern.apply(kwargs={"schedule_id": str(schedule.pk)}, task_id=message)

    tick(schedule_of(user, mine), "first")
    few = count_queries()
    for number in range(4):
        schedule = schedule_of(user, mine, every_minutes=number + 1)
        tick(schedule, f"{number}-a")
        tick(schedule, f"{number}-b")
    many = count_queries()

    assert (few[1], many[1]) == (1, 5)
    assert few[0] == many[0]
