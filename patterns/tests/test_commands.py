"""The patterns management commands, called as an operator would, errors included."""

import io
import json

import pytest
import yaml
from django.core.management import CommandError, call_command

from accounts.tests.factories import UserFactory
from nexus_site.definitions.enums import Role
from patterns.models import Execution, ExecutionStatus, Pattern, PatternKind, PatternVersion
from patterns.services import execution_start
from patterns.system import SYSTEM_KEYS, system_patterns_install
from patterns.tests.factories import make_pattern

pytestmark = pytest.mark.django_db

FAILING_STEP = {
    "id": "compare",
    "type": "condition",
    "parameters": {"left": 1, "operator": "lt", "right": "a"},
}


def command(name: str, *args, **options) -> str:
    out = io.StringIO()
    call_command(name, *args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def failing_command(name: str, *args, **options) -> tuple[str, str]:
    """Return the CommandError's message and what went to stderr."""
    err = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command(name, *args, stdout=io.StringIO(), stderr=err, **options)
    return str(raised.value), err.getvalue()


def checksums() -> dict[str, str]:
    return {
        pattern.key: pattern.versions.get(number=pattern.current_version).checksum
        for pattern in Pattern.objects.all()
    }


# --- install_system_patterns -----------------------------------------------------------------


def test_install_system_patterns_reports_unchanged_patterns_on_a_second_run(db):
    # given
    system_patterns_install()

    # when
    output = command("install_system_patterns")

    # then
    assert output.count("unchanged") == len(SYSTEM_KEYS)


# --- run_pattern -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_run_pattern_waits_and_prints_the_steps_and_the_status():
    # given
    user = UserFactory()
    make_pattern(
        user, key="greet", steps=[{"id": "yes", "type": "condition", "parameters": {"value": True}}]
    )

    # when
    output = command("run_pattern", "greet", "--as", user.email, "--wait")

    # then
    assert "yes" in output
    assert "condition" in output
    assert output.strip().endswith("status: succeeded")
    assert Execution.objects.get(pattern__key="greet").started_by == user


@pytest.mark.django_db(transaction=True)
def test_run_pattern_exits_with_an_error_when_the_run_fails():
    # given
    UserFactory(role=Role.ADMIN)
    make_pattern(key="broken-compare", kind=PatternKind.SYSTEM, steps=[FAILING_STEP])

    # when
    message, _err = failing_command("run_pattern", "broken-compare", "--wait")

    # then
    assert "ended failed" in message
    assert "invalid_comparison" in message


def test_run_pattern_without_wait_reports_the_started_execution(
    user, django_capture_on_commit_callbacks
):
    # given
    make_pattern(user, key="later")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        output = command("run_pattern", "later", "--as", user.email, "--input", "{}")

    # then
    execution = Execution.objects.get(pattern__key="later")
    assert f"execution {execution.pk} of later v1 started as {user.email}" in output
    assert execution.status == ExecutionStatus.SUCCEEDED


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["nope"], "There is no pattern nope."),
        (["checked", "--input", "{not json"], "--input is not JSON"),
        (["checked", "--input", "[1]"], "--input must be a JSON object."),
        (["checked", "--as", "ghost@example.com"], "There is no active user ghost@example.com."),
        (["checked", "--input", '{"count": "x"}'], "validation"),
        (["checked", "--version", "7"], "not_found"),
    ],
)
def test_run_pattern_refuses_bad_arguments_with_a_clear_message(user, arguments, expected):
    # given
    UserFactory(role=Role.ADMIN)
    make_pattern(
        user,
        key="checked",
        input_schema={"type": "object", "properties": {"count": {"type": "integer"}}},
    )

    # when
    message, _err = failing_command("run_pattern", *arguments)

    # then
    assert expected in message
    assert not Execution.objects.exists()


def test_run_pattern_without_an_admin_asks_for_a_user(user):
    # given
    make_pattern(user, key="mine")

    # when
    message, _err = failing_command("run_pattern", "mine")

    # then
    assert "pass --as EMAIL" in message


def test_run_pattern_refuses_a_guest(user):
    # given
    guest = UserFactory(role=Role.GUEST)
    make_pattern(user, key="mine")

    # when
    message, _err = failing_command("run_pattern", "mine", "--as", guest.email)

    # then
    assert message.startswith("authorization:")


# --- export_patterns / import_patterns -------------------------------------------------------


def test_export_writes_one_stable_file_per_pattern(user, tmp_path):
    # given
    system_patterns_install()
    make_pattern(user, key="mine")

    # when
    command("export_patterns", "--output", str(tmp_path / "a"))
    command("export_patterns", "--output", str(tmp_path / "b"))

    # then
    files = sorted(path.name for path in (tmp_path / "a").iterdir())
    assert files == sorted(f"{key}.yaml" for key in [*SYSTEM_KEYS, "mine"])
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    document = yaml.safe_load((tmp_path / "a" / "mine.yaml").read_text())
    assert list(document) == [
        "key",
        "kind",
        "owner",
        "name",
        "description",
        "input_schema",
        "is_active",
        "definition",
    ]
    assert document["owner"] == user.email


def test_export_to_a_json_file_writes_the_chosen_patterns_as_a_list(db, tmp_path):
    # given
    system_patterns_install()
    target = tmp_path / "out" / "patterns.json"

    # when
    command("export_patterns", "task_batch", "user_onboarding", "--output", str(target))

    # then
    documents = json.loads(target.read_text())
    assert [document["key"] for document in documents] == ["task_batch", "user_onboarding"]
    assert documents[1]["name"]["de"] == "Benutzer-Onboarding"


def test_export_of_an_unknown_key_is_refused(db):
    # when
    message, _err = failing_command("export_patterns", "ghost")

    # then
    assert message == "There is no pattern ghost."


def test_export_then_import_into_an_empty_database_recreates_the_same_patterns(user, tmp_path):
    # given
    system_patterns_install()
    make_pattern(user, key="mine", name="Mine")
    before = checksums()
    names = {pattern.key: (pattern.name_en, pattern.name_ru) for pattern in Pattern.objects.all()}
    command("export_patterns", "--output", str(tmp_path))
    Pattern.objects.all().delete()

    # when
    output = command("import_patterns", str(tmp_path))

    # then
    assert output.count("created") == len(before)
    assert checksums() == before
    assert {
        pattern.key: (pattern.name_en, pattern.name_ru) for pattern in Pattern.objects.all()
    } == names
    assert Pattern.objects.get(key="mine").owner == user
    assert Pattern.objects.get(key="project_kickoff").kind == PatternKind.COMPOSITE


def test_importing_the_same_files_again_publishes_nothing(db, tmp_path):
    # given
    system_patterns_install()
    command("export_patterns", "--output", str(tmp_path), "--format", "json")
    versions = PatternVersion.objects.count()

    # when
    output = command("import_patterns", str(tmp_path))

    # then
    assert output.count("unchanged") == len(SYSTEM_KEYS)
    assert PatternVersion.objects.count() == versions


def test_an_imported_change_publishes_a_new_version(db, tmp_path):
    # given
    system_patterns_install()
    path = tmp_path / "task_batch.yaml"
    command("export_patterns", "task_batch", "--output", str(path))
    documents = yaml.safe_load(path.read_text())
    documents[0]["definition"]["steps"][0]["timeout_seconds"] = 60
    documents[0]["name"]["fr"] = "Tâches en lot"
    path.write_text(yaml.safe_dump(documents, allow_unicode=True))
    before = Pattern.objects.get(key="task_batch").current_version

    # when
    output = command("import_patterns", str(path))

    # then
    pattern = Pattern.objects.get(key="task_batch")
    assert "published" in output
    assert pattern.current_version == before + 1
    assert pattern.name_fr == "Tâches en lot"


def test_import_reports_every_problem_with_its_file_and_path_and_writes_nothing(db, tmp_path):
    # given
    good = {
        "key": "good",
        "kind": "system",
        "name": {"en": "Good"},
        "definition": {"steps": [{"id": "a", "type": "condition", "parameters": {"value": 1}}]},
    }
    bad_step = {**good, "key": "bad-step"}
    bad_step["definition"] = {"steps": [{"id": "a", "type": "no.such.type"}]}
    (tmp_path / "good.json").write_text(json.dumps(good))
    (tmp_path / "bad-step.json").write_text(json.dumps(bad_step))
    (tmp_path / "no-name.yaml").write_text(
        yaml.safe_dump({"key": "no-name", "kind": "robot", "definition": good["definition"]})
    )
    (tmp_path / "broken.yaml").write_text("key: [unclosed\n")

    # when
    message, err = failing_command("import_patterns", str(tmp_path))

    # then
    assert "nothing was imported" in message
    assert f"{tmp_path / 'bad-step.json'}: definition/steps/0/type: There is no step type" in err
    assert f"{tmp_path / 'no-name.yaml'}: name: must be a text" in err
    assert f"{tmp_path / 'no-name.yaml'}: kind: must be one of" in err
    assert f"{tmp_path / 'broken.yaml'}: cannot be read" in err
    assert not Pattern.objects.filter(key="good").exists()


def test_import_of_a_composite_finds_the_patterns_it_calls_in_the_same_batch(db, tmp_path):
    # given
    system_patterns_install()
    command("export_patterns", "--output", str(tmp_path / "all.yaml"))
    Pattern.objects.all().delete()

    # when
    output = command("import_patterns", str(tmp_path / "all.yaml"))

    # then
    assert output.count("created") == len(SYSTEM_KEYS)
    assert set(Pattern.objects.values_list("key", flat=True)) == set(SYSTEM_KEYS)


def test_import_dry_run_writes_nothing(db, tmp_path):
    # given
    system_patterns_install()
    command("export_patterns", "--output", str(tmp_path))
    Pattern.objects.all().delete()

    # when
    output = command("import_patterns", str(tmp_path), "--dry-run")

    # then
    assert output.count("created") == len(SYSTEM_KEYS)
    assert "dry run: nothing was written" in output
    assert not Pattern.objects.exists()


def test_import_of_a_user_pattern_needs_a_known_owner(db, tmp_path):
    # given
    document = {
        "key": "orphan",
        "kind": "user",
        "owner": "gone@example.com",
        "name": "Orphan",
        "definition": {"steps": [{"id": "a", "type": "condition", "parameters": {"value": 1}}]},
    }
    path = tmp_path / "orphan.json"
    path.write_text(json.dumps(document))

    # when
    _message, err = failing_command("import_patterns", str(path))

    # then
    assert f"{path}: owner: there is no active user gone@example.com" in err


def test_import_of_a_missing_path_is_refused(db, tmp_path):
    # when
    message, err = failing_command("import_patterns", str(tmp_path / "nothing.yaml"))

    # then
    assert "no such file or directory" in err
    assert "1 problem(s) found" in message


# --- pattern_stats ---------------------------------------------------------------------------


@pytest.fixture
def runs(user, django_capture_on_commit_callbacks):
    """One pattern with a succeeded run and a failed one."""
    pattern = make_pattern(
        user,
        key="sometimes",
        input_schema={"type": "object", "properties": {"right": {}}},
        steps=[
            {
                **FAILING_STEP,
                "parameters": {**FAILING_STEP["parameters"], "right": "{{ input.right }}"},
            }
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        execution_start(actor=user, pattern=pattern, input={"right": 2})
        execution_start(actor=user, pattern=pattern, input={"right": "a"})
    return pattern


def test_pattern_stats_prints_runs_success_rate_and_failed_steps(runs):
    # when
    output = command("pattern_stats", "sometimes")

    # then
    assert "50.0%" in output
    assert "compare" in output.split("failed step")[1]
    assert "v1" in output


def test_pattern_stats_json_gives_the_numbers(runs):
    # when
    stats = json.loads(command("pattern_stats", "sometimes", "--version", "1", "--json"))

    # then
    assert stats["runs"] == 2
    assert stats["succeeded"] == 1
    assert stats["failures_by_step"] == {"compare": 1}


def test_pattern_stats_without_a_key_lists_every_pattern(runs):
    # when
    output = command("pattern_stats")

    # then
    line = next(line for line in output.splitlines() if line.startswith("sometimes"))
    assert line.split()[1:4] == ["2", "1", "50.0%"]


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["ghost"], "There is no pattern ghost."),
        (["--version", "1"], "--version needs a pattern KEY."),
        (["sometimes", "--version", "9"], "Pattern sometimes has no version 9."),
    ],
)
def test_pattern_stats_refuses_bad_arguments(runs, arguments, expected):
    # when
    message, _err = failing_command("pattern_stats", *arguments)

    # then
    assert message == expected
