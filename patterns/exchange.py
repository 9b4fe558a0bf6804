"""Patterns as files: export them to YAML or JSON documents and import them back.

A document holds one pattern: ``key``, ``kind``, ``owner`` (user patterns: the owner's
e-mail), ``name`` and ``description`` by language, ``input_schema``, ``is_active`` and the
``definition`` of its current version. A file holds one document or a list of them. The
output is stable: fields in a fixed order, every step spelled out in the order the engine
writes it, nested objects with sorted keys, so the same patterns give the same bytes on any
database and a change shows up as a small diff.

Importing checks every document before writing anything; then it creates the patterns that
are missing, updates the texts and settings of the others, and publishes a version only
where the definition changed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import translation

from nexus_site.definitions.constants import LANGUAGE_CODES
from nexus_site.exceptions import BaseAppException
from patterns.engine.definition import PATTERN_RUN_STEP_TYPE, PatternDefinition
from patterns.engine.validation import validate_definition
from patterns.models import PATTERN_KEY, Pattern, PatternKind, not_reserved
from patterns.services import (
    ensure_valid_input_schema,
    latest_steps_of,
    pattern_create,
    pattern_version_publish,
)

FORMATS = ("yaml", "json")
EXTENSIONS = {".yaml": "yaml", ".yml": "yaml", ".json": "json"}
DOCUMENT_FIELDS = (
    "key",
    "kind",
    "owner",
    "name",
    "description",
    "input_schema",
    "is_active",
    "definition",
)
TRANSLATED = ("name", "description")


# --- export ----------------------------------------------------------------------------------


def sorted_keys(value: Any) -> Any:
    """Return ``value`` with every object's keys sorted (lists keep their order)."""
    if isinstance(value, Mapping):
        return {key: sorted_keys(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [sorted_keys(item) for item in value]
    return value


def stable_definition(definition: Mapping[str, Any]) -> dict[str, Any]:
    """Return the definition with each step's fields in engine order, nested keys sorted."""
    spelled = PatternDefinition.from_dict(definition).to_dict()
    return {
        "steps": [
            {name: sorted_keys(value) for name, value in step.items()} for step in spelled["steps"]
        ]
    }


def translations(pattern: Pattern, field_name: str) -> dict[str, str]:
    """Return a translated field's texts by language, leaving out the empty ones."""
    texts = {}
    for code in LANGUAGE_CODES:
        text = getattr(pattern, f"{field_name}_{code}", None)
        if text:
            texts[code] = text
    return texts


def pattern_document(pattern: Pattern) -> dict[str, Any]:
    """Return the exportable document of ``pattern`` and its current version."""
    version = pattern.versions.filter(number=pattern.current_version).first()
    document: dict[str, Any] = {"key": pattern.key, "kind": pattern.kind}
    if pattern.kind == PatternKind.USER and pattern.owner is not None:
        document["owner"] = pattern.owner.email
    document["name"] = translations(pattern, "name") or {"en": pattern.name}
    document["description"] = translations(pattern, "description")
    document["input_schema"] = sorted_keys(pattern.input_schema or {})
    document["is_active"] = pattern.is_active
    document["definition"] = stable_definition(version.definition if version else {"steps": []})
    return document


def dump(documents: Any, format: str) -> str:
    """Return ``documents`` written as YAML or JSON, ending with a newline."""
    if format == "json":
        return json.dumps(documents, indent=2, ensure_ascii=False) + "\n"
    return yaml.safe_dump(
        documents, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )


# --- reading ---------------------------------------------------------------------------------


@dataclass
class Source:
    """One document read from a file: where it came from and what it says."""

    file: str
    index: int | None  # position in a file holding a list, None for a file of one
    document: Any

    @property
    def where(self) -> str:
        return self.file if self.index is None else f"{self.file}[{self.index}]"


@dataclass
class Problem:
    where: str
    path: str
    message: str

    def __str__(self) -> str:
        return (
            f"{self.where}: {self.path}: {self.message}"
            if self.path
            else (f"{self.where}: {self.message}")
        )


def files_in(paths: Iterable[str]) -> tuple[list[Path], list[Problem]]:
    """Return the files named or found (directories: *.yaml, *.yml, *.json), sorted."""
    found, problems = [], []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found.extend(
                sorted(child for child in path.iterdir() if child.suffix.lower() in EXTENSIONS)
            )
        elif path.is_file():
            found.append(path)
        else:
            problems.append(Problem(name, "", "no such file or directory"))
    return found, problems


def read_sources(paths: Iterable[str]) -> tuple[list[Source], list[Problem]]:
    """Parse every file; a file that is not YAML or JSON is a problem, not an error."""
    files, problems = files_in(paths)
    sources = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
            data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
        except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
            problems.append(Problem(str(path), "", f"cannot be read: {exc}"))
            continue
        if isinstance(data, list):
            sources.extend(Source(str(path), index, item) for index, item in enumerate(data))
        else:
            sources.append(Source(str(path), None, data))
    return sources, problems


# --- checking --------------------------------------------------------------------------------


def text_problems(value: Any, field_name: str, *, required: bool) -> list[tuple[str, str]]:
    if value is None and not required:
        return []
    if isinstance(value, str):
        return [] if value or not required else [(field_name, "must not be empty")]
    if not isinstance(value, Mapping):
        return [(field_name, "must be a text or an object of texts by language")]
    found = [
        (f"{field_name}/{code}", "unknown language") for code in value if code not in LANGUAGE_CODES
    ]
    found += [
        (f"{field_name}/{code}", "must be a text")
        for code, text in value.items()
        if not isinstance(text, str)
    ]
    if required and not value.get("en"):
        found.append((f"{field_name}/en", "the English text is required"))
    return found


def document_problems(source: Source, steps_of, owners: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Return ``(path, message)`` for everything wrong with one document."""
    document = source.document
    if not isinstance(document, Mapping):
        return [("", "a pattern document must be an object")]
    found = [(str(name), "unknown field") for name in document if name not in DOCUMENT_FIELDS]
    key = document.get("key")
    if not isinstance(key, str):
        found.append(("key", "is required"))
        key = None
    else:
        try:
            PATTERN_KEY(key)
            not_reserved(key)
        except Exception as exc:  # django's ValidationError
            found.append(("key", " ".join(str(message) for message in exc.messages)))
    kind = document.get("kind", PatternKind.USER)
    if kind not in PatternKind.values:
        found.append(("kind", f"must be one of {', '.join(PatternKind.values)}"))
    if kind == PatternKind.USER:
        owner = document.get("owner")
        if not isinstance(owner, str) or not owner:
            found.append(("owner", "a user pattern needs its owner's e-mail"))
        elif owners.get(owner.lower()) is None:
            found.append(("owner", f"there is no active user {owner}"))
    found += text_problems(document.get("name"), "name", required=True)
    found += text_problems(document.get("description"), "description", required=False)
    if "is_active" in document and not isinstance(document["is_active"], bool):
        found.append(("is_active", "must be true or false"))
    if "input_schema" in document:
        try:
            ensure_valid_input_schema(document["input_schema"])
        except BaseAppException as exc:
            for message in exc.details.get("input_schema", [exc.message]):
                found.append(("input_schema", str(message)))
    if "definition" not in document:
        found.append(("definition", "is required"))
    else:
        found += [
            (f"definition/{problem.path}".rstrip("/"), str(problem.message))
            for problem in validate_definition(
                document["definition"],
                parameter_schemas=_parameter_schemas(),
                steps_of=steps_of,
                pattern_key=key,
            )
        ]
    return found


def _parameter_schemas() -> dict[str, Any]:
    from patterns import steps

    return steps.parameter_schemas()


def called_keys(document: Mapping[str, Any]) -> list[str]:
    """Return the keys of the patterns a document's ``pattern.run`` steps call by name."""
    definition = document.get("definition")
    steps = definition.get("steps") if isinstance(definition, Mapping) else None
    keys = []
    for step in steps if isinstance(steps, list) else []:
        if isinstance(step, Mapping) and step.get("type") == PATTERN_RUN_STEP_TYPE:
            parameters = step.get("parameters")
            if isinstance(parameters, Mapping) and isinstance(parameters.get("pattern"), str):
                keys.append(parameters["pattern"])
    return keys


def in_call_order(sources: list[Source]) -> list[Source]:
    """Return the sources with each pattern after the ones it calls (cycles keep file order)."""
    by_key = {source.document["key"]: source for source in sources}
    ordered: list[Source] = []
    placed: set[str] = set()
    visiting: set[str] = set()

    def place(key: str) -> None:
        if key in placed or key in visiting or key not in by_key:
            return
        visiting.add(key)
        for called in called_keys(by_key[key].document):
            place(called)
        visiting.discard(key)
        placed.add(key)
        ordered.append(by_key[key])

    for source in sources:
        place(source.document["key"])
    return ordered


@dataclass
class ImportPlan:
    """The documents to import, in call order, or every problem that stops the import."""

    sources: list[Source] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    owners: dict[str, Any] = field(default_factory=dict)


def import_plan(paths: Iterable[str]) -> ImportPlan:
    """Read and check every file; the plan has problems if anything at all is wrong."""
    sources, problems = read_sources(paths)
    emails = {
        source.document["owner"].lower()
        for source in sources
        if isinstance(source.document, Mapping) and isinstance(source.document.get("owner"), str)
    }
    owners = {
        user.email.lower(): user
        for user in get_user_model().objects.filter(email__in=emails, is_active=True)
    }
    batch: dict[str, list[Any]] = {}
    seen: dict[str, str] = {}
    for source in sources:
        document = source.document
        if not isinstance(document, Mapping) or not isinstance(document.get("key"), str):
            continue
        key = document["key"]
        if key in seen:
            problems.append(Problem(source.where, "key", f"{key} is also in {seen[key]}"))
        seen.setdefault(key, source.where)
        definition = document.get("definition")
        if isinstance(definition, Mapping) and isinstance(definition.get("steps"), list):
            batch.setdefault(key, list(definition["steps"]))

    def steps_of(key: str) -> list[Any] | None:
        return batch[key] if key in batch else latest_steps_of(key)

    for source in sources:
        for path, message in document_problems(source, steps_of, owners):
            problems.append(Problem(source.where, path, message))
    if problems:
        return ImportPlan(problems=problems)
    return ImportPlan(sources=in_call_order(sources), owners=owners)


# --- writing ---------------------------------------------------------------------------------


def texts_of(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, str):
        return {"en": value}
    return dict(value)


@dataclass(frozen=True)
class Imported:
    key: str
    action: str  # created, published, updated, unchanged
    version: int


@transaction.atomic
def patterns_import(plan: ImportPlan, *, dry_run: bool = False) -> list[Imported]:
    """Write a checked plan: create, update texts and settings, publish changed definitions.

    One transaction: everything or nothing. ``dry_run`` rolls it back after reporting.
    """
    report = []
    with translation.override("en"):
        for source in plan.sources:
            report.append(_import_one(source.document, plan.owners))
    if dry_run:
        transaction.set_rollback(True)
    return report


def _import_one(document: Mapping[str, Any], owners: Mapping[str, Any]) -> Imported:
    key = document["key"]
    kind = document.get("kind", PatternKind.USER)
    names, descriptions = texts_of(document.get("name")), texts_of(document.get("description"))
    owner = owners.get(document["owner"].lower()) if kind == PatternKind.USER else None
    pattern = Pattern.objects.select_for_update().filter(key=key).first()
    if pattern is None:
        pattern = pattern_create(
            actor=owner,
            key=key,
            name=names["en"],
            description=descriptions.get("en", ""),
            kind=kind,
            input_schema=document.get("input_schema", {}),
            is_active=document.get("is_active", True),
            definition=document["definition"],
        )
        _write_texts(pattern, names, descriptions)
        return Imported(key, "created", pattern.current_version)
    before = pattern.current_version
    changed = _write_texts(pattern, names, descriptions)
    settings_ = {
        "kind": kind,
        "owner": owner,
        "input_schema": ensure_valid_input_schema(document.get("input_schema", {})),
        "is_active": document.get("is_active", True),
    }
    for name, value in settings_.items():
        if getattr(pattern, name) != value:
            setattr(pattern, name, value)
            changed = True
    if changed:
        pattern.save()
    version = pattern_version_publish(
        actor=None, pattern=pattern, definition=document["definition"]
    )
    if version.number != before:
        return Imported(key, "published", version.number)
    return Imported(key, "updated" if changed else "unchanged", before)


def _write_texts(pattern: Pattern, names: dict[str, str], descriptions: dict[str, str]) -> bool:
    """Set every language's name and description; return whether anything changed.

    A language left out of the document is left undefined, so it falls back to English.
    """
    changed = False
    values = {}
    for field_name, texts in (("name", names), ("description", descriptions)):
        for code in LANGUAGE_CODES:
            column = f"{field_name}_{code}"
            text = texts.get(code) or ""
            values[column] = text if text or code == "en" else None
            if (getattr(pattern, column) or "") != text:
                setattr(pattern, column, values[column])
                changed = True
    if changed:
        Pattern.objects.filter(pk=pattern.pk).update(**values)
    return changed
