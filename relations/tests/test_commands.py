"""Operators' graph commands: graph_stats, check_cycles, find_path."""

import itertools
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.tests.factories import UserFactory
from nexus_site.definitions.enums import RelationType
from relations import services
from relations.models import Relationship
from relations.nodes import node_of

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def chain():
    users = [UserFactory() for _ in range(3)]
    for left, right in itertools.pairwise(users):
        services.relationship_record(
            source=node_of(left), target=node_of(right), type=RelationType.LINKED
        )
    return users


def test_graph_stats_counts_nodes_and_edges(chain):
    figures = json.loads(run("graph_stats", "--json"))

    assert figures["node_count"] == 3
    assert figures["edge_count"] == 2
    assert figures["edges_by_type"]["linked"] == 2


def test_find_path_prints_the_path(chain):
    first, middle, last = (str(node_of(user)) for user in chain)

    assert run("find_path", first, last).strip() == f"{first} -> {middle} -> {last}"


def test_find_path_without_a_path_fails(chain):
    with pytest.raises(CommandError, match="no path"):
        run("find_path", str(node_of(chain[0])), str(node_of(UserFactory())))


def test_find_path_refuses_a_bad_node():
    with pytest.raises(CommandError):
        run("find_path", "nope", "accounts.user:x")


def test_check_cycles_is_quiet_without_cycles(chain):
    assert run("check_cycles").strip() == "no cycles"


def test_check_cycles_reports_a_cycle_written_around_the_services(chain):
    from django.contrib.contenttypes.models import ContentType

    user_type = ContentType.objects.get_for_model(type(chain[0]))
    # Rows written directly (as a bad import or a manual fix might) bypass the cycle check.
    for source, target in [(chain[0], chain[1]), (chain[1], chain[0])]:
        Relationship.objects.create(
            source_type=user_type,
            source_id=source.pk,
            target_type=user_type,
            target_id=target.pk,
            type=RelationType.PARENT,
        )

    with pytest.raises(CommandError, match="1 cycle"):
        run("check_cycles")


def test_export_then_import_recreates_the_graph(chain, tmp_path):
    dump = tmp_path / "graph.jsonl"
    call_command("relations_export", "--output", str(dump), stderr=StringIO())
    exported = dump.read_text().splitlines()
    Relationship.objects.all().delete()

    out = StringIO()
    call_command("relations_import", str(dump), stdout=out, stderr=StringIO())

    assert len(exported) == 2
    assert "created 2, rejected 0" in out.getvalue()
    assert Relationship.objects.count() == 2


def test_import_reports_bad_rows_and_keeps_the_good_ones(chain, tmp_path):
    a, b, c = (str(node_of(user)) for user in chain)
    lines = [
        json.dumps({"source": a, "type": "linked", "target": c}),
        "{broken json",
        json.dumps({"source": "nope", "type": "linked", "target": c}),
        json.dumps({"source": a, "type": "linked", "target": b}),  # duplicate of the fixture
        json.dumps(["not", "an", "object"]),
    ]
    source = tmp_path / "rows.jsonl"
    source.write_text("\n".join(lines) + "\n")
    out, err = StringIO(), StringIO()

    with pytest.raises(CommandError, match="4 row"):
        call_command("relations_import", str(source), stdout=out, stderr=err)

    assert "created 1, rejected 4" in out.getvalue()
    assert "line 2: not JSON" in err.getvalue()
    assert "line 3: validation" in err.getvalue()
    assert "line 4: conflict" in err.getvalue()
    assert Relationship.objects.count() == 3


def test_seed_demo_links_the_demo_users_once(settings):
    settings.DEBUG = True

    run("seed_demo")
    run("seed_demo")

    assert Relationship.objects.filter(type=RelationType.LINKED).count() == 3
