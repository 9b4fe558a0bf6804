import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from comments.tests.factories import comment_on
from projects import services as project_services
from projects.tests.factories import add_member
from search.models import SearchEntry
from search.selectors import forget_cached, search
from search.tests.helpers import project_of, task_in
from workspace.chat import services as chat_services
from workspace.documents import services as document_services
from workspace.tests.chat.factories import make_room, post
from workspace.tests.documents.factories import DocumentFactory, share
from workspace.tests.files.factories import upload_file
from workspace.tests.mail.factories import write

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL text search (stemming, trigrams)"
)

TABLE = {
    "blocks": [
        {"type": "heading", "level": 1, "text": "Quarterly figures"},
        {"type": "table", "rows": [["Region", "Revenue"], ["Patagonia", "12"]]},
    ]
}


def found(user, q, **kwargs):
    return [(hit.type, hit.id) for hit in search(user, q, **kwargs).hits]


def test_a_project_is_found_by_a_word_of_its_description():
    owner = UserFactory()
    project = project_of(owner, description="Launch the zeppelin fleet")

    assert ("project", project.pk) in found(owner, "zeppelin")


def test_a_task_is_found_by_a_word_of_its_title_description_or_tags():
    owner = UserFactory()
    task = task_in(
        project_of(owner), owner, title="Paint hangar", description="with ochre", tags=["urgent"]
    )

    assert found(owner, "hangar") == [("task", task.pk)]
    assert found(owner, "ochre") == [("task", task.pk)]
    assert found(owner, "urgent") == [("task", task.pk)]


def test_a_document_is_found_by_a_word_in_a_table_cell():
    owner = UserFactory()
    document = DocumentFactory(owner=owner, content=TABLE)

    assert found(owner, "patagonia") == [("document", document.pk)]


def test_slides_and_sheets_are_searchable():
    owner = UserFactory()
    slides = DocumentFactory(
        owner=owner,
        doc_type="powerpoint",
        content={"slides": [{"title": "Kickoff", "text": "", "notes": "mention walrus"}]},
    )
    sheet = DocumentFactory(
        owner=owner,
        doc_type="excel",
        content={"sheets": [{"name": "Costs", "cells": {"A1": {"value": "narwhal"}}}]},
    )

    assert found(owner, "walrus") == [("document", slides.pk)]
    assert found(owner, "narwhal") == [("document", sheet.pk)]


def test_a_file_is_found_by_its_name():
    owner = UserFactory()
    file = upload_file(owner, name="blueprint-orbital.txt")

    assert found(owner, "orbital") == [("file", file.pk)]


def test_mail_is_found_by_its_recipient_and_sender_but_nobody_else():
    sender, reader, stranger = UserFactory(), UserFactory(), UserFactory()
    copy = write(sender, to=[reader], subject="Invoice", body="The pelican arrives Monday")

    assert found(reader, "pelican") == [("mail", copy.message_id)]
    assert found(sender, "pelican") == [("mail", copy.message_id)]
    assert found(stranger, "pelican") == []


def test_an_unsent_draft_is_not_found():
    sender, reader = UserFactory(), UserFactory()
    write(sender, to=[reader], subject="Draft", body="secret flamingo", send=False)

    assert found(sender, "flamingo") == []


def test_a_chat_message_is_found_by_room_members_only():
    owner, member, outsider = UserFactory(), UserFactory(), UserFactory()
    room = make_room(owner, members=[member])
    message = post(owner, room, body="the llama is loose")

    assert found(member, "llama") == [("message", message.pk)]
    assert found(outsider, "llama") == []


def test_a_comment_is_found_as_its_task_is():
    owner, outsider = UserFactory(), UserFactory()
    task = task_in(project_of(owner), owner)
    comment = comment_on(task, owner, body="remember the capybara")

    assert found(owner, "capybara") == [("comment", comment.pk)]
    assert found(outsider, "capybara") == []


def test_another_users_object_never_appears_not_even_in_counts():
    owner, stranger = UserFactory(), UserFactory()
    task_in(project_of(owner, name="Hidden"), owner, title="Secret okapi")
    DocumentFactory(owner=owner, title="okapi notes")

    results = search(stranger, "okapi")

    assert results.hits == []
    assert sum(results.counts.values()) == 0
    assert results.total == 0


def test_a_project_member_finds_its_tasks_and_a_share_finds_a_document():
    owner, member, reader = UserFactory(), UserFactory(), UserFactory()
    project = project_of(owner)
    add_member(project, user=member)
    task = task_in(project, owner, title="Calibrate gyroscope")
    document = DocumentFactory(owner=owner, title="Gyroscope manual")
    share(document, reader)

    assert set(found(member, "gyroscope")) == {("task", task.pk)}
    assert set(found(reader, "gyroscope")) == {("document", document.pk)}


def test_an_unshared_document_and_a_removed_member_stop_finding_at_once():
    owner, reader, member = UserFactory(), UserFactory(), UserFactory()
    document = DocumentFactory(owner=owner, title="Walrus census")
    share(document, reader)
    project = project_of(owner)
    add_member(project, user=member)
    task_in(project, owner, title="Walrus feeding")
    assert search(reader, "walrus").total == 1
    assert search(member, "walrus").total == 1

    document_services.document_unshare(actor=owner, document=document, user=reader)
    project_services.project_member_remove(actor=owner, project=project, user=member)

    assert search(reader, "walrus").total == 0
    assert search(member, "walrus").total == 0


def test_counts_per_type_cover_every_kind_and_type_narrows_the_hits():
    owner = UserFactory()
    project = project_of(owner, name="Comet")
    task_in(project, owner, title="Comet tail")
    DocumentFactory(owner=owner, title="Comet report")

    results = search(owner, "comet", type="task")

    assert results.counts["project"] == 1
    assert results.counts["task"] == 1
    assert results.counts["document"] == 1
    assert [hit.type for hit in results.hits] == ["task"]
    assert results.total == 1


def test_project_narrows_to_what_belongs_to_it():
    owner = UserFactory()
    first, second = project_of(owner, name="One"), project_of(owner, name="Two")
    mine = task_in(first, owner, title="Orbit check")
    task_in(second, owner, title="Orbit check too")

    assert found(owner, "orbit", project=first.pk) == [("task", mine.pk)]


def test_as_you_type_the_last_word_begins_a_word_of_the_title():
    owner = UserFactory()
    task = task_in(project_of(owner), owner, title="Quarterly budget")

    assert found(owner, "quart", titles=True) == [("task", task.pk)]
    assert found(owner, "budget quar", titles=True) == [("task", task.pk)]
    assert found(owner, "budget quar x", titles=True) == []
    assert found(owner, "uart", titles=True) == []  # the beginning of a word only


def test_the_full_search_matches_whole_words():
    owner = UserFactory()
    task = task_in(project_of(owner), owner, title="Quarterly budget")

    assert found(owner, "budget quarterly") == [("task", task.pk)]
    part = search(owner, "budget quart")
    if connection.vendor == "postgresql":  # no whole word: found only as a typo of the title
        assert part.fuzzy
        assert [hit.id for hit in part.hits] == [task.pk]
    else:
        assert part.hits == []


def test_titles_only_matches_title_prefixes_and_not_the_text():
    owner = UserFactory()
    task = task_in(project_of(owner), owner, title="Quarterly budget", description="giraffe")

    titles = search(owner, "quarterly bud", titles=True)

    assert [(hit.type, hit.id) for hit in titles.hits] == [("task", task.pk)]
    assert titles.hits[0].snippet == ""
    assert search(owner, "giraffe", titles=True).total == 0


def test_every_word_must_match():
    owner = UserFactory()
    task_in(project_of(owner), owner, title="Quarterly budget")

    assert found(owner, "budget zebra") == []


def test_snippets_highlight_the_words_and_escape_the_content():
    owner = UserFactory()
    description = "meerkat & <b onclick=x>mongoose</b> <script>alert(1)</script> 2 < 3"
    task_in(project_of(owner), owner, title="Markup", description=description)

    snippet = search(owner, "meerkat").hits[0].snippet

    assert "<mark>meerkat</mark>" in snippet
    assert "&amp;" in snippet
    without_marks = snippet.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in without_marks
    assert ">" not in without_marks


def test_query_syntax_is_treated_as_words():
    owner = UserFactory()
    task = task_in(project_of(owner), owner, title="Alpha beta")

    assert found(owner, "alpha' & !(beta:*") == [("task", task.pk)]
    assert found(owner, '"alpha" OR NEAR(') == []


def test_an_edit_and_a_trashed_document_follow_at_once():
    owner = UserFactory()
    document = DocumentFactory(owner=owner, title="Draft")
    document = document_services.document_update(
        actor=owner, document=document, version=1, title="Iguana plan"
    )
    assert found(owner, "iguana") == [("document", document.pk)]

    document_services.document_delete(actor=owner, document=document)
    assert found(owner, "iguana") == []

    document_services.document_restore(actor=owner, document=document)
    assert found(owner, "iguana") == [("document", document.pk)]


def test_a_deleted_task_and_chat_message_leave_the_index():
    owner = UserFactory()
    task = task_in(project_of(owner), owner, title="Ferret")
    room = make_room(owner)
    message = post(owner, room, body="ferret sighted")

    project_services.task_delete(actor=owner, task=task)
    chat_services.message_delete(actor=owner, message=message)

    assert found(owner, "ferret") == []
    assert not SearchEntry.objects.filter(object_id__in=[task.pk, message.pk]).exists()


def test_a_rolled_back_write_leaves_no_entry():
    owner = UserFactory()
    project = project_of(owner)
    seen_inside = []

    def write_then_fail():
        with transaction.atomic():
            task_in(project, owner, title="Phantom wombat")
            seen_inside.append(SearchEntry.objects.filter(title="Phantom wombat").exists())
            raise RuntimeError

    with pytest.raises(RuntimeError):
        write_then_fail()

    assert seen_inside == [True]
    assert not SearchEntry.objects.filter(title="Phantom wombat").exists()
    assert found(owner, "wombat") == []


def test_an_empty_or_wordless_query_finds_nothing():
    owner = UserFactory()
    task_in(project_of(owner), owner, title="Anything")

    assert search(owner, "").hits == []
    assert search(owner, "  ?! ").hits == []


def test_a_search_runs_a_constant_number_of_queries():
    owner = UserFactory()
    project = project_of(owner)
    task_in(project, owner, title="Lemur one")

    def queries() -> int:
        forget_cached()  # each count includes reading the words and statistics
        with CaptureQueriesContext(connection) as captured:
            search(owner, "lemur")
        return len(captured)

    few = queries()
    for n in range(5):
        task_in(project, owner, title=f"Lemur {n}")
        DocumentFactory(owner=owner, title=f"Lemur doc {n}")
    assert queries() == few


def test_arabic_words_are_found_as_written():
    owner = UserFactory(language="ar")
    task = task_in(project_of(owner), owner, title="خطة المشروع الجديد")

    assert found(owner, "المشروع") == [("task", task.pk)]


@postgres_only
def test_german_words_are_found_by_their_stem():
    owner = UserFactory(language="de")
    task = task_in(project_of(owner), owner, title="Die Häuser am See")

    assert found(owner, "haus") == [("task", task.pk)]


@postgres_only
def test_a_typo_in_a_title_still_finds_it():
    owner = UserFactory()
    task = task_in(project_of(owner), owner, title="Photosynthesis experiment")

    results = search(owner, "photosyntesis")

    assert [(hit.type, hit.id) for hit in results.hits] == [("task", task.pk)]
    assert results.fuzzy


@postgres_only
def test_each_word_is_read_from_the_database_once_per_process():
    owner = UserFactory()
    task = task_in(project_of(owner), owner, title="Heron marsh")
    forget_cached()
    search(owner, "heron")

    with CaptureQueriesContext(connection) as captured:
        hits = search(owner, "marsh heron").hits

    assert [(hit.type, hit.id) for hit in hits] == [("task", task.pk)]
    words_read = [query["sql"] for query in captured if "tsvector_to_array" in query["sql"]]
    assert len(words_read) == 1  # "marsh" only
    assert "heron" not in words_read[0]


@postgres_only
def test_the_search_statement_is_never_compiled_by_jit():
    """A plan over eight partitions can pass ``jit_above_cost``: compiling it cost 50-60 ms for a
    statement that ran in 9. The search turns JIT off for its own transaction (``SET LOCAL``)."""
    owner = UserFactory()
    task = task_in(project_of(owner), owner, title="Ibis lagoon")
    with connection.cursor() as cursor:
        cursor.execute("SET jit_above_cost = 0")  # every plan would qualify
    try:
        with CaptureQueriesContext(connection) as captured:
            hits = search(owner, "ibis").hits
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET jit_above_cost")

    assert [hit.id for hit in hits] == [task.pk]
    statements = [query["sql"] for query in captured]
    searched = next(n for n, sql in enumerate(statements) if "WITH matched" in sql)
    assert "set_config('jit', 'off', true)" in statements[searched - 1]
