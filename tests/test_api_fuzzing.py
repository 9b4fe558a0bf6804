"""Fuzz the API from its own OpenAPI schema with schemathesis, as a user, as staff and anonymous.

Every operation of ``/api/schema/`` gets generated requests (schema examples, boundary values
of the coverage phase, random and invalid data) sent in-process to Django's WSGI handler, and
every answer goes through all of schemathesis's checks. Path ids name seeded objects
(``tests.owned_objects``) so the requests reach the code behind the lookups.

The gate: no server error and no answer that disagrees with the schema (status code, content
type, headers, body). The other checks fail too, except two classes of findings accepted with
their reason in docs/FUZZING.md (``ACCEPTED``).

Each example runs in a savepoint that is rolled back, with an empty cache, so every request
starts from the same seeded state (a ``logout-all`` or ``DELETE`` does not spoil the next one).
``FUZZ_MAX_EXAMPLES``, ``FUZZ_COVERAGE`` and ``FUZZ_SEED`` widen it: ``make fuzz``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import override_settings
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup

from accounts.tests.factories import UserFactory
from conftest import access_token
from nexus_site.definitions.enums import Role
from nexus_site.tests.isolation import clear_cache
from tests.owned_objects import OwnedObjects, owned_objects

ROLES = ("user", "staff", "anonymous")
# Random examples per operation and role (the deterministic examples and boundary values of
# the coverage phase come on top). CI keeps it small; `make fuzz` raises it.
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "5"))
# The coverage phase (every boundary value and every invalid type of every parameter) takes
# several times longer: on for `make fuzz`, off in CI.
COVERAGE = os.environ.get("FUZZ_COVERAGE", "").lower() in {"1", "true", "yes"}
SEED = int(os.environ.get("FUZZ_SEED", "20260514"))

# Failure codes of schemathesis: ST1xx a server error or an answer the schema does not
# describe (the gate: never allowed); ST2xx data and methods; ST3xx stateful; ST4xx auth.
GATE_PREFIX = "ST1"

# Findings of a whole class, not failures: why each is accepted is in docs/FUZZING.md.
ACCEPTED: dict[str, str] = {
    "ST201": "filters and query parameters ignore values they do not know (django-filter)",
    "ST202": "business rules the schema cannot express refuse schema-valid data",
}


def blocking(failures) -> list:
    """Return the failures that fail the test: every one but the accepted classes."""
    return [failure for failure in failures if failure.code not in ACCEPTED]


def path_parameters(objects: OwnedObjects, staff_target) -> dict[str, dict[str, str]]:
    """Return the seeded value of every path parameter, by operation path."""
    o = objects
    v1 = "/api/v1"
    document = {"document_id": str(o.document.pk)}
    room = {"room_id": str(o.room.pk)}
    pattern = {"key": o.pattern.key}
    return {
        f"{v1}/admin/users/{{user_id}}/": {"user_id": str(staff_target.pk)},
        f"{v1}/admin/users/{{user_id}}/unlock/": {"user_id": str(staff_target.pk)},
        f"{v1}/ai/interactions/{{interaction_id}}/": {"interaction_id": str(o.interaction.pk)},
        f"{v1}/chat/rooms/{{room_id}}/": room,
        f"{v1}/chat/rooms/{{room_id}}/join/": room,
        f"{v1}/chat/rooms/{{room_id}}/members/": room,
        f"{v1}/chat/rooms/{{room_id}}/members/{{user_id}}/": {**room, "user_id": str(o.member.pk)},
        f"{v1}/chat/rooms/{{room_id}}/messages/": room,
        f"{v1}/chat/rooms/{{room_id}}/messages/{{message_id}}/": {
            **room,
            "message_id": str(o.message.pk),
        },
        f"{v1}/chat/rooms/{{room_id}}/read/": room,
        f"{v1}/chat/rooms/{{room_id}}/messages/{{message_id}}/attachments/{{file_id}}/download/": {
            **room,
            "message_id": str(o.message.pk),
            "file_id": str(o.chat_file.pk),
        },
        f"{v1}/documents/{{document_id}}/": document,
        f"{v1}/documents/{{document_id}}/attachments/": document,
        f"{v1}/documents/{{document_id}}/attachments/{{file_id}}/": {
            **document,
            "file_id": str(o.attachment.pk),
        },
        f"{v1}/documents/{{document_id}}/attachments/{{file_id}}/download/": {
            **document,
            "file_id": str(o.attachment.pk),
        },
        f"{v1}/documents/{{document_id}}/diff/": document,
        f"{v1}/documents/{{document_id}}/export/": document,
        f"{v1}/documents/{{document_id}}/restore/": document,
        f"{v1}/documents/{{document_id}}/shares/": document,
        f"{v1}/documents/{{document_id}}/shares/{{user_id}}/": {
            **document,
            "user_id": str(o.viewer.pk),
        },
        f"{v1}/documents/{{document_id}}/versions/": document,
        f"{v1}/documents/{{document_id}}/versions/{{number}}/": {**document, "number": "1"},
        f"{v1}/documents/{{document_id}}/versions/{{number}}/restore/": {
            **document,
            "number": "1",
        },
        f"{v1}/executions/{{execution_id}}/": {"execution_id": str(o.execution.pk)},
        f"{v1}/executions/{{execution_id}}/cancel/": {"execution_id": str(o.execution.pk)},
        **{
            f"{v1}/files/{{file_id}}/{tail}": {"file_id": str(o.file.pk)}
            for tail in ("", "download/", "public-link/")
        },
        f"{v1}/mail/messages/{{entry_id}}/": {"entry_id": str(o.sent.pk)},
        f"{v1}/mail/messages/{{entry_id}}/attachments/{{file_id}}/download/": {
            "entry_id": str(o.sent.pk),
            "file_id": str(o.mail_file.pk),
        },
        f"{v1}/mail/messages/{{entry_id}}/restore/": {"entry_id": str(o.sent.pk)},
        f"{v1}/mail/messages/{{entry_id}}/send/": {"entry_id": str(o.draft.pk)},
        f"{v1}/mail/threads/{{thread_id}}/": {"thread_id": str(o.sent.message.thread_id)},
        **{
            f"{v1}/patterns/{{key}}/{tail}": pattern
            for tail in ("", "dry-run/", "execute/", "stats/", "validate/", "versions/")
        },
        f"{v1}/patterns/{{key}}/versions/{{number}}/": {**pattern, "number": "1"},
        **{
            f"{v1}/projects/{{project_id}}/{tail}": {"project_id": str(o.project.pk)}
            for tail in ("", "activity/", "members/", "schedule/")
        },
        f"{v1}/projects/{{project_id}}/members/{{user_id}}/": {
            "project_id": str(o.project.pk),
            "user_id": str(o.member.pk),
        },
        f"{v1}/relations/{{relationship_id}}/": {"relationship_id": str(o.relationship.pk)},
        **{
            f"{v1}/tasks/{{task_id}}/{tail}": {"task_id": str(o.task.pk)}
            for tail in ("", "attachments/", "dependencies/")
        },
        **{
            f"{v1}/tasks/{{task_id}}/attachments/{{file_id}}/{tail}": {
                "task_id": str(o.task.pk),
                "file_id": str(o.task_file.pk),
            }
            for tail in ("", "download/")
        },
        f"{v1}/tasks/{{task_id}}/dependencies/{{depends_on_id}}/": {
            "task_id": str(o.task.pk),
            "depends_on_id": str(o.depends_on.pk),
        },
        **comment_parameters(v1, "tasks", o.task, o.comment, o.comment_file),
        **comment_parameters(v1, "documents", o.document, o.document_comment, o.comment_file),
    }


def comment_parameters(v1: str, plural: str, target, comment, file) -> dict[str, dict[str, str]]:
    """Return the seeded path parameters of one kind of target's comment routes."""
    base = f"{v1}/{plural}/{{target_id}}/comments/"
    target_only = {"target_id": str(target.pk)}
    with_comment = {**target_only, "comment_id": str(comment.pk)}
    return {
        base: target_only,
        f"{base}people/": target_only,
        f"{base}{{comment_id}}/": with_comment,
        f"{base}{{comment_id}}/history/": with_comment,
        f"{base}{{comment_id}}/attachments/{{file_id}}/download/": {
            **with_comment,
            "file_id": str(file.pk),
        },
    }


def fuzz_config() -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
            "phases": {"stateful": {"enabled": False}, "coverage": {"enabled": COVERAGE}},
        }
    )


@dataclass(frozen=True)
class Seeded:
    objects: OwnedObjects
    parameters: dict[str, dict[str, str]]
    headers: dict[str, dict[str, str]]


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """Seed one user's objects for the whole module, in a transaction rolled back at its end."""
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("fuzz-media"))
    with media, django_db_blocker.unblock(), transaction.atomic():
        objects = owned_objects(UserFactory())
        staff = UserFactory(role=Role.ADMIN)
        yield Seeded(
            objects=objects,
            parameters=path_parameters(objects, UserFactory()),
            headers={
                "user": {"Authorization": f"Bearer {access_token(objects.owner)}"},
                "staff": {"Authorization": f"Bearer {access_token(staff)}", "X-Source": "admin"},
                "anonymous": {},
            },
        )
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _isolated_cache_and_media():
    """Keep the seeded files' bytes: the module's media folder, not one per test."""
    clear_cache()
    yield
    clear_cache()


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Keep the test's database connection across requests, as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = schemathesis.openapi.from_wsgi("/api/schema/", WSGIHandler(), config=fuzz_config())


@schema.parametrize()
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.django_db
def test_the_api_answers_every_generated_request_as_its_schema_says(case, role, seeded):
    case.path_parameters.update(seeded.parameters.get(case.operation.path, {}))
    case.meta  # noqa: B018  (reading it re-decides whether the case is still a negative one)
    with transaction.atomic():
        try:
            case.call_and_validate(headers=seeded.headers[role])
        except FailureGroup as group:
            if blocking(group.exceptions):
                raise
        finally:
            transaction.set_rollback(True)
            clear_cache()
