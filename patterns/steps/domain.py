"""What the domain step types (graph, work, communication) share: schema pieces, the check of
parameters once their references are filled in, the acting user, and loading what an undo
works on.

Definitions are validated before a reference is resolved, so a value written as a whole
reference (``"{{ input.project }}"``) is checked only when the step runs: ``checked`` does it,
formats included, and answers ``invalid_parameters`` like the definition check does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from jsonschema import Draft202012Validator

from nexus_site.exceptions import NotFoundError, ValidationError
from patterns.steps import StepError
from patterns.steps.context import StepContext
from relations.nodes import Node, parse_node

UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
# A node, or text holding a reference that fills part of it ("accounts.user:{{ input.user }}").
NODE_PATTERN = (
    "^(?:[a-z][a-z0-9_]*\\.[a-z][a-z0-9_]*:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}"
    "-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|.*\\{\\{.+\\}\\}.*)$"
)
DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

ID = {"type": "string", "format": "uuid", "pattern": UUID_PATTERN}
NODE = {"type": "string", "maxLength": 200, "pattern": NODE_PATTERN}
DATE = {"type": "string", "format": "date", "pattern": DATE_PATTERN}
EMAIL = {"type": "string", "format": "email", "maxLength": 254, "pattern": "^[^@\\s]+@[^@\\s]+$"}

MAX_PROBLEMS = 20


def checked(schema: dict[str, Any], parameters: Any) -> dict[str, Any]:
    """Return ``parameters`` when they fit ``schema`` (formats too), else raise
    ``invalid_parameters`` listing the problems."""
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(parameters), key=lambda error: list(error.path))
    if not errors:
        return parameters
    problems = [
        {"path": "/".join(str(part) for part in error.path), "message": error.message}
        for error in errors[:MAX_PROBLEMS]
    ]
    raise StepError(
        _("Invalid parameter: %(error)s") % {"error": errors[0].message},
        code="invalid_parameters",
        details={"problems": problems},
    )


def node_parameter(parameters: dict[str, Any], name: str) -> Node:
    """Return the node written in parameter ``name``; ``invalid_parameters`` when it is not one."""
    try:
        return parse_node(parameters[name], field=name)
    except ValidationError as exc:
        raise StepError(
            _("Invalid parameter %(name)s: write a node as app_label.model:uuid.") % {"name": name},
            code="invalid_parameters",
            details=exc.details,
        ) from exc


def actor_of(context: StepContext):
    """Return the user the run acts as; a run whose user was deleted can do nothing."""
    if context.actor is None:
        raise StepError(_("The run has no user to act as."), code="no_actor")
    return context.actor


def still_there(load: Callable[[], Any], model: type[models.Model], pk: Any) -> Any:
    """Return what ``load`` finds for an undo, or None when the object no longer exists.

    An object that exists but that the actor may no longer see is not silently skipped: the
    NotFoundError goes up, so the compensation is reported incomplete.
    """
    try:
        return load()
    except NotFoundError:
        if model._default_manager.filter(pk=pk).exists():
            raise
        return None
