"""Task tags: a JSON list of short strings, and a ``contains`` lookup that works on every backend.

PostgreSQL answers ``tags__contains=["x"]`` with jsonb containment (``@>``). SQLite has no JSON
containment operator, so there the same lookup is compiled to ``json_each``: the tags wanted
must all occur among the row's tags. Callers write one filter, whatever the database.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import NotSupportedError, models
from django.db.models.fields.json import DataContains
from django.utils.translation import gettext_lazy as _

MAX_TAGS = 20
MAX_TAG_LENGTH = 50


def normalize_tags(value: object) -> list[str]:
    """Return ``value`` as a clean tag list: stripped, non-empty, short, first spelling kept.

    Raises Django's ValidationError (the services turn it into a 422).
    """
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError(_("Tags must be a list of strings."), code="invalid")
    tags: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise ValidationError(_("Tags must be a list of strings."), code="invalid")
        tag = item.strip()
        if not tag:
            raise ValidationError(_("A tag cannot be empty."), code="blank")
        if len(tag) > MAX_TAG_LENGTH:
            raise ValidationError(
                _("A tag has at most %(limit)d characters."),
                code="max_length",
                params={"limit": MAX_TAG_LENGTH},
            )
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValidationError(
            _("A task has at most %(limit)d tags."), code="max_tags", params={"limit": MAX_TAGS}
        )
    return tags


def validate_tags(value: object) -> None:
    """Refuse a stored value that is not already a clean tag list."""
    if normalize_tags(value) != value:
        raise ValidationError(
            _("Tags must be distinct, non-empty strings without surrounding spaces."),
            code="invalid",
        )


class TagsContain(DataContains):
    """``tags__contains=[...]``: jsonb ``@>`` on PostgreSQL, ``json_each`` on SQLite."""

    def as_sqlite(self, compiler, connection):
        if not isinstance(self.rhs, list | tuple) or not all(
            isinstance(tag, str) for tag in self.rhs
        ):
            raise NotSupportedError("On SQLite, tags__contains takes a list of strings.")
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        sql = (
            f"NOT EXISTS (SELECT 1 FROM json_each({rhs}) AS wanted "  # noqa: S608 - no values
            f"WHERE wanted.value NOT IN (SELECT held.value FROM json_each({lhs}) AS held))"
        )
        return sql, (*rhs_params, *lhs_params)


class TagsField(models.JSONField):
    """A list of tag strings (see ``normalize_tags``) that ``contains`` filters everywhere."""


TagsField.register_lookup(TagsContain)
