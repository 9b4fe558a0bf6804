# ruff: noqa: RUF001  (the Russian and Arabic translations are meant to use their letters)
"""The system patterns Nexus ships, their installer, and the hook that onboards new users.

``SYSTEM_PATTERNS`` is installed by migration 0002 and again by ``manage.py
install_system_patterns``. Installing creates the patterns that are missing and publishes a
new version of those whose definition changed; the same definition publishes nothing, so
running it again is harmless. Names and descriptions are written once, when a pattern is
created: staff may translate or reword them in the admin afterwards and a later install
keeps their words. The input schema and kind stay as shipped, since the definition relies
on them.

A ``pattern.run`` step's output is ``{"execution", "steps": {<child step id>: <its output>}}``,
so a parent reads a child's result as ``{{ steps.<step>.output.steps.<child step>.<key> }}``.

Helpers come before the composite pattern that calls them: a ``pattern.run`` step is
validated against the patterns that exist.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from patterns.engine.definition import PatternDefinition, checksum
from patterns.engine.validation import validate_definition

logger = logging.getLogger(__name__)

ONBOARDING_KEY = "user_onboarding"
ONBOARDING_PROJECT_NAME = _("Personal")
ONBOARDING_WELCOME_TITLE = _("Welcome to Nexus: look around")

UUID = {"type": "string", "format": "uuid", "minLength": 32, "maxLength": 36}
LIST_LIMIT = 100  # patterns.steps.bulk.MAX_ITEMS


def texts(english: str, **translations: str) -> dict[str, str]:
    """Return a text in English and the other languages, as ``{"en": ..., "de": ...}``."""
    return {"en": english, **translations}


SYSTEM_PATTERNS: list[dict[str, Any]] = [
    {
        "key": "user_onboarding",
        "kind": "system",
        "name": texts(
            "User onboarding",
            ar="تهيئة المستخدم",
            de="Benutzer-Onboarding",
            es="Incorporación de usuarios",
            fr="Accueil de l'utilisateur",
            it="Accoglienza dell'utente",
            ru="Знакомство пользователя с системой",
        ),
        "description": texts(
            "Runs once for each new account, as that user: creates their personal project, "
            "a welcome task in it, and announces that the user is onboarded.",
            ar="يعمل مرة واحدة لكل حساب جديد باسم ذلك المستخدم: ينشئ مشروعه الشخصي ومهمة "
            "ترحيب فيه، ويعلن أن المستخدم قد تمت تهيئته.",
            de="Läuft einmal für jedes neue Konto als dieser Benutzer: legt sein persönliches "
            "Projekt und darin eine Willkommensaufgabe an und meldet, dass der Benutzer "
            "eingerichtet ist.",
            es="Se ejecuta una vez por cada cuenta nueva, como ese usuario: crea su proyecto "
            "personal y en él una tarea de bienvenida, y anuncia que el usuario está "
            "incorporado.",
            fr="S'exécute une fois pour chaque nouveau compte, au nom de cet utilisateur : crée "
            "son projet personnel et une tâche de bienvenue dedans, puis annonce que "
            "l'utilisateur est accueilli.",
            it="Viene eseguito una volta per ogni nuovo account, come quell'utente: crea il suo "
            "progetto personale con un'attività di benvenuto e annuncia che l'utente è "
            "stato accolto.",
            ru="Выполняется один раз для каждой новой учётной записи от имени этого "
            "пользователя: создаёт его личный проект с приветственной задачей и сообщает, "
            "что пользователь подключён.",
        ),
        "input_schema": {
            "type": "object",
            "properties": {
                "user": UUID,
                "project_name": {"type": "string", "minLength": 1, "maxLength": 200},
                "welcome_title": {"type": "string", "minLength": 1, "maxLength": 300},
            },
            "required": ["user", "project_name", "welcome_title"],
            "additionalProperties": False,
        },
        "definition": {
            "steps": [
                {
                    "id": "project",
                    "type": "project.create",
                    "action": "Create the user's personal project, owned by them",
                    "parameters": {"name": "{{ input.project_name }}", "status": "active"},
                    "compensation": True,
                },
                {
                    "id": "welcome",
                    "type": "task.create",
                    "action": "Put a welcome task in it, assigned to the user",
                    "parameters": {
                        "project": "{{ steps.project.output.project }}",
                        "title": "{{ input.welcome_title }}",
                        "assignee": "{{ input.user }}",
                    },
                    "depends_on": ["project"],
                    "compensation": True,
                    "on_error": "compensate",
                },
                {
                    "id": "announce",
                    "type": "event.publish",
                    "action": "Announce that the user is onboarded",
                    "parameters": {
                        "type": "custom.user_onboarded",
                        "payload": {
                            "user": "{{ input.user }}",
                            "project": "{{ steps.project.output.project }}",
                            "task": "{{ steps.welcome.output.task }}",
                        },
                    },
                    "depends_on": ["project", "welcome"],
                },
            ]
        },
    },
    {
        "key": "link_if_connected",
        "kind": "system",
        "name": texts(
            "Link users who are connected",
            ar="ربط المستخدمين المتصلين",
            de="Verbundene Benutzer verknüpfen",
            es="Vincular usuarios conectados",
            fr="Lier les utilisateurs connectés",
            it="Collegare gli utenti connessi",
            ru="Связать связанных пользователей",
        ),
        "description": texts(
            "Looks for a path of at most 3 relationships between two users (a shared project "
            "is one) and links them when there is one; without a path it fails with "
            "path_not_found and creates nothing. Run it as the from user, or as staff.",
            ar="يبحث عن مسار من 3 علاقات على الأكثر بين مستخدمَين (المشروع المشترك أحدها) "
            "ويربطهما إن وُجد؛ وإن لم يوجد مسار يفشل بالرمز path_not_found ولا ينشئ شيئًا. "
            "شغّله باسم المستخدم from أو كأحد الموظفين.",
            de="Sucht einen Pfad aus höchstens 3 Beziehungen zwischen zwei Benutzern (ein "
            "gemeinsames Projekt ist einer) und verknüpft sie, wenn es einen gibt; ohne Pfad "
            "schlägt es mit path_not_found fehl und legt nichts an. Als Benutzer from oder als "
            "Mitarbeiter ausführen.",
            es="Busca un camino de 3 relaciones como máximo entre dos usuarios (un proyecto "
            "compartido lo es) y los vincula si lo hay; sin camino falla con path_not_found y "
            "no crea nada. Ejecútalo como el usuario from o como personal.",
            fr="Cherche un chemin d'au plus 3 relations entre deux utilisateurs (un projet "
            "partagé en est un) et les lie s'il existe ; sans chemin, échoue avec "
            "path_not_found et ne crée rien. À exécuter en tant qu'utilisateur from ou membre du "
            "personnel.",
            it="Cerca un percorso di al massimo 3 relazioni tra due utenti (un progetto "
            "condiviso lo è) e li collega se esiste; senza percorso fallisce con "
            "path_not_found e non crea nulla. Eseguilo come utente from o come staff.",
            ru="Ищет путь не длиннее 3 связей между двумя пользователями (общий проект — такой "
            "путь) и связывает их, если он есть; без пути завершается ошибкой path_not_found "
            "и ничего не создаёт. Запускайте от имени пользователя from или сотрудника.",
        ),
        "input_schema": {
            "type": "object",
            "properties": {"from": UUID, "to": UUID},
            "required": ["from", "to"],
            "additionalProperties": False,
        },
        "definition": {
            "steps": [
                {
                    "id": "find",
                    "type": "graph.find_path",
                    "action": "Find a path of at most 3 relationships between the two users",
                    "parameters": {
                        "from": "accounts.user:{{ input.from }}",
                        "to": "accounts.user:{{ input.to }}",
                        "max_depth": 3,
                        "required": True,
                    },
                },
                # The relations rule: linking needs manage on the target, and a user manages
                # their own node, so the from user (who runs it) is the target.
                {
                    "id": "link",
                    "type": "relationship.create",
                    "action": "Link the two users, noting the path that connected them",
                    "parameters": {
                        "source": "accounts.user:{{ input.to }}",
                        "target": "accounts.user:{{ input.from }}",
                        "type": "linked",
                        "metadata": {
                            "pattern": "link_if_connected",
                            "via": "{{ steps.find.output.length }}",
                            "path": "{{ steps.find.output.path }}",
                        },
                    },
                    "depends_on": ["find"],
                    "compensation": True,
                },
            ]
        },
    },
    {
        "key": "project_setup",
        "kind": "system",
        "name": texts(
            "Project setup",
            ar="إعداد المشروع",
            de="Projekt einrichten",
            es="Configuración del proyecto",
            fr="Mise en place du projet",
            it="Impostazione del progetto",
            ru="Настройка проекта",
        ),
        "description": texts(
            "Creates a project owned by whoever runs it and adds a list of users as members.",
            ar="ينشئ مشروعًا يملكه من يشغّله ويضيف قائمة من المستخدمين أعضاءً فيه.",
            de="Legt ein Projekt an, das dem Ausführenden gehört, und fügt eine Liste von "
            "Benutzern als Mitglieder hinzu.",
            es="Crea un proyecto propiedad de quien lo ejecuta y añade una lista de usuarios "
            "como miembros.",
            fr="Crée un projet appartenant à qui l'exécute et y ajoute une liste "
            "d'utilisateurs comme membres.",
            it="Crea un progetto di proprietà di chi lo esegue e aggiunge un elenco di utenti "
            "come membri.",
            ru="Создаёт проект, владельцем которого становится запустивший, и добавляет в него "
            "список пользователей как участников.",
        ),
        "input_schema": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 200},
                "members": {"type": "array", "items": UUID, "maxItems": LIST_LIMIT},
            },
            "required": ["name", "members"],
            "additionalProperties": False,
        },
        "definition": {
            "steps": [
                {
                    "id": "create",
                    "type": "project.create",
                    "action": "Create the project",
                    "parameters": {"name": "{{ input.name }}", "status": "active"},
                    "compensation": True,
                },
                {
                    "id": "members",
                    "type": "project.members_add",
                    "action": "Add every listed user as a member",
                    "parameters": {
                        "project": "{{ steps.create.output.project }}",
                        "users": "{{ input.members }}",
                        "role": "member",
                    },
                    "depends_on": ["create"],
                    "compensation": True,
                    "on_error": "compensate",
                },
            ]
        },
    },
    {
        "key": "task_batch",
        "kind": "system",
        "name": texts(
            "Task batch",
            ar="دفعة مهام",
            de="Aufgabenstapel",
            es="Lote de tareas",
            fr="Lot de tâches",
            it="Lotto di attività",
            ru="Пакет задач",
        ),
        "description": texts(
            "Creates one task per title in a project, all or none.",
            ar="ينشئ مهمة لكل عنوان في مشروع، كلها أو لا شيء.",
            de="Legt in einem Projekt eine Aufgabe pro Titel an, alle oder keine.",
            es="Crea una tarea por título en un proyecto, todas o ninguna.",
            fr="Crée une tâche par titre dans un projet, toutes ou aucune.",
            it="Crea un'attività per titolo in un progetto, tutte o nessuna.",
            ru="Создаёт по задаче на каждый заголовок в проекте: все или ни одной.",
        ),
        "input_schema": {
            "type": "object",
            "properties": {
                "project": UUID,
                "titles": {
                    "type": "array",
                    "items": {"type": "string", "minLength": 1, "maxLength": 300},
                    "maxItems": LIST_LIMIT,
                },
            },
            "required": ["project", "titles"],
            "additionalProperties": False,
        },
        "definition": {
            "steps": [
                {
                    "id": "create",
                    "type": "task.create_many",
                    "action": "Create one task per title",
                    "parameters": {
                        "project": "{{ input.project }}",
                        "titles": "{{ input.titles }}",
                    },
                    "compensation": True,
                },
            ]
        },
    },
    {
        "key": "project_kickoff",
        "kind": "composite",
        "name": texts(
            "Project kickoff",
            ar="انطلاق المشروع",
            de="Projektstart",
            es="Arranque del proyecto",
            fr="Lancement du projet",
            it="Avvio del progetto",
            ru="Запуск проекта",
        ),
        "description": texts(
            "Sets up a project with its members (project_setup), creates its first tasks "
            "(task_batch) and announces the kickoff. Up to 100 members and 100 tasks; if the "
            "tasks cannot be created, the project is undone.",
            ar="يُعدّ مشروعًا بأعضائه (project_setup) وينشئ مهامه الأولى (task_batch) ويعلن "
            "الانطلاق. حتى 100 عضو و100 مهمة؛ وإن تعذّر إنشاء المهام يُلغى المشروع.",
            de="Richtet ein Projekt mit seinen Mitgliedern ein (project_setup), legt die ersten "
            "Aufgaben an (task_batch) und meldet den Start. Bis zu 100 Mitglieder und 100 "
            "Aufgaben; lassen sich die Aufgaben nicht anlegen, wird das Projekt rückgängig "
            "gemacht.",
            es="Prepara un proyecto con sus miembros (project_setup), crea sus primeras tareas "
            "(task_batch) y anuncia el arranque. Hasta 100 miembros y 100 tareas; si las "
            "tareas no se pueden crear, el proyecto se deshace.",
            fr="Met en place un projet avec ses membres (project_setup), crée ses premières "
            "tâches (task_batch) et annonce le lancement. Jusqu'à 100 membres et 100 tâches ; "
            "si les tâches ne peuvent être créées, le projet est annulé.",
            it="Imposta un progetto con i suoi membri (project_setup), crea le prime attività "
            "(task_batch) e annuncia l'avvio. Fino a 100 membri e 100 attività; se le "
            "attività non possono essere create, il progetto viene annullato.",
            ru="Создаёт проект с участниками (project_setup), заводит первые задачи "
            "(task_batch) и объявляет о запуске. До 100 участников и 100 задач; если задачи "
            "создать не удалось, проект отменяется.",
        ),
        "input_schema": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 200},
                "members": {"type": "array", "items": UUID, "maxItems": LIST_LIMIT},
                "tasks": {
                    "type": "array",
                    "items": {"type": "string", "minLength": 1, "maxLength": 300},
                    "maxItems": LIST_LIMIT,
                },
            },
            "required": ["name", "members", "tasks"],
            "additionalProperties": False,
        },
        "definition": {
            "steps": [
                {
                    "id": "setup",
                    "type": "pattern.run",
                    "action": "Create the project and add its members (project_setup)",
                    "parameters": {
                        "pattern": "project_setup",
                        "input": {"name": "{{ input.name }}", "members": "{{ input.members }}"},
                    },
                    "compensation": True,
                },
                {
                    "id": "tasks",
                    "type": "pattern.run",
                    "action": "Create the first tasks (task_batch)",
                    "parameters": {
                        "pattern": "task_batch",
                        "input": {
                            "project": "{{ steps.setup.output.steps.create.project }}",
                            "titles": "{{ input.tasks }}",
                        },
                    },
                    "depends_on": ["setup"],
                    "compensation": True,
                    "on_error": "compensate",
                },
                {
                    "id": "announce",
                    "type": "event.publish",
                    "action": "Announce the kickoff to the people following the run",
                    "parameters": {
                        "type": "custom.project_kicked_off",
                        "payload": {
                            "project": "{{ steps.setup.output.steps.create.project }}",
                            "members": "{{ steps.setup.output.steps.members.added }}",
                            "tasks": "{{ steps.tasks.output.steps.create.tasks }}",
                        },
                    },
                    "depends_on": ["setup", "tasks"],
                },
            ]
        },
    },
]

SYSTEM_KEYS: tuple[str, ...] = tuple(spec["key"] for spec in SYSTEM_PATTERNS)


class SystemPatternError(Exception):
    """A shipped definition is invalid against the registered step types."""

    def __init__(self, key: str, problems: list[dict[str, str]]):
        self.key = key
        self.problems = problems
        listed = "; ".join(f"{problem['path']}: {problem['message']}" for problem in problems)
        super().__init__(f"System pattern {key} is invalid: {listed}")


@dataclass(frozen=True)
class Installed:
    """What installing did to one pattern: created, published (a new version) or unchanged."""

    key: str
    action: str
    version: int


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def system_patterns_install(
    *,
    pattern_model=None,
    version_model=None,
    specs: list[dict[str, Any]] | None = None,
) -> list[Installed]:
    """Create the missing system patterns and publish the definitions that changed.

    Pass the historical models from a migration; by default the current ones are used.
    ``specs`` defaults to ``SYSTEM_PATTERNS``. Raises SystemPatternError, writing nothing,
    when a definition is invalid.
    """
    from patterns import steps

    if pattern_model is None or version_model is None:
        from patterns.models import Pattern, PatternVersion

        pattern_model, version_model = Pattern, PatternVersion
    specs = SYSTEM_PATTERNS if specs is None else specs

    def steps_of(key: str) -> list[Any] | None:
        definition = (
            version_model.objects.filter(pattern__key=key)
            .order_by("-number")
            .values_list("definition", flat=True)
            .first()
        )
        return None if definition is None else list(definition.get("steps") or [])

    report = []
    with transaction.atomic():
        for spec in specs:
            problems = validate_definition(
                spec["definition"],
                parameter_schemas=steps.parameter_schemas(),
                steps_of=steps_of,
                pattern_key=spec["key"],
            )
            if problems:
                raise SystemPatternError(spec["key"], [problem.as_dict() for problem in problems])
            report.append(_install_one(spec, pattern_model, version_model))
    return report


def _install_one(spec: dict[str, Any], pattern_model, version_model) -> Installed:
    cleaned = PatternDefinition.from_dict(spec["definition"]).to_dict()
    digest = checksum(cleaned)
    pattern = pattern_model.objects.select_for_update().filter(key=spec["key"]).first()
    action = "published"
    if pattern is None:
        pattern = pattern_model(
            key=spec["key"],
            kind=spec["kind"],
            input_schema=spec["input_schema"],
            is_active=True,
            current_version=0,
        )
        _set_texts(pattern, "name", spec["name"])
        _set_texts(pattern, "description", spec["description"])
        pattern.save(force_insert=True)
        action = "created"
    else:
        changed = []
        if pattern.kind != spec["kind"]:
            pattern.kind = spec["kind"]
            changed.append("kind")
        if pattern.input_schema != spec["input_schema"]:
            pattern.input_schema = spec["input_schema"]
            changed.append("input_schema")
        if changed:
            pattern.save(update_fields=[*changed, "updated_at"])
        current = version_model.objects.filter(
            pattern=pattern, number=pattern.current_version
        ).first()
        if current is not None and current.checksum == digest:
            return Installed(spec["key"], "unchanged", pattern.current_version)
    number = pattern.current_version + 1
    version_model.objects.create(
        pattern=pattern, number=number, definition=cleaned, checksum=digest, author=None
    )
    pattern.current_version = number
    pattern.save(update_fields=["current_version", "updated_at"])
    return Installed(spec["key"], action, number)


def _set_texts(pattern, field: str, values: dict[str, str]) -> None:
    """Write a translated field: the original column in English, then each language's."""
    english = values["en"]
    setattr(pattern, field, english)
    for code in language_codes():
        setattr(pattern, f"{field}_{code}", values.get(code) or english)


def system_patterns_remove(*, pattern_model=None, keys: tuple[str, ...] = SYSTEM_KEYS) -> int:
    """Delete the system patterns that never ran (their versions go with them); return how many.

    A pattern with executions is kept: its history must stay readable.
    """
    if pattern_model is None:
        from patterns.models import Pattern

        pattern_model = Pattern
    removable = pattern_model.objects.filter(key__in=keys, executions__isnull=True)
    count = removable.count()
    pattern_model.objects.filter(pk__in=list(removable.values_list("pk", flat=True))).delete()
    return count


# --- onboarding ------------------------------------------------------------------------------


def onboarding_start(user):
    """Start ``user_onboarding`` for a new account, as that user; return the execution or None.

    It runs once per user (idempotency key ``onboarding:<id>``), only when the pattern
    exists and is active, and not for guests, who may not run patterns. The texts it puts
    in the user's project are in the user's language. A failure to start is logged: the
    account stands either way.
    """
    from nexus_site.definitions.enums import Role
    from nexus_site.exceptions import BaseAppException
    from patterns.models import Pattern
    from patterns.services import execution_start

    if not user.is_active or getattr(user, "role", None) == Role.GUEST:
        return None
    pattern = Pattern.objects.filter(key=ONBOARDING_KEY, is_active=True).first()
    if pattern is None or pattern.current_version == 0:
        return None
    with translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE):
        data = {
            "user": str(user.pk),
            "project_name": str(ONBOARDING_PROJECT_NAME),
            "welcome_title": str(ONBOARDING_WELCOME_TITLE),
        }
    try:
        execution, _created = execution_start(
            actor=user, pattern=pattern, input=data, idempotency_key=f"onboarding:{user.pk}"
        )
    except BaseAppException:
        logger.exception("Onboarding of user %s could not start", user.pk)
        return None
    return execution
