"""Step types on the relations graph: relationship.create / .delete, graph.find_path, graph.check.

They act as the run's user with the rules of the relations API:

- a node the user may not view fails like a missing one (``not_found``);
- creating and deleting go through the gate (relations.access), with the fact in its stored
  form: ``A child B`` is checked as ``B parent A`` (manage on the child, edit on the parent);
  owner and member edges need manage on their target; ``linked`` edit on either end;
  ``authorization`` when the user sees the nodes but may not record the fact;
- deleting needs to have created the relationship or to manage its (stored) target, either
  end for ``linked``;
- ``graph.find_path`` walks only through nodes and edges the user may see, as
  ``relations/path/`` does;
- ``graph.check`` answers about the run's user; only staff may ask about another user (the
  rule of ``relations/check/``), anyone else asking about someone else gets ``authorization``.
  The object need not be visible: "not allowed" is the answer for a missing object too, so it
  tells nothing about what exists.

Relationships come back in their stored form, as the relations API shows them: ``A child B``
is stored and answered as ``B parent A``; a ``linked`` edge has its smaller node first.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from nexus_site.definitions import constants
from nexus_site.definitions.enums import Permission, RelationType
from nexus_site.exceptions import AuthorizationError, NotFoundError
from patterns.steps import StepError, StepType, register
from patterns.steps.context import StepContext
from patterns.steps.domain import NODE, actor_of, checked, node_parameter
from relations import selectors as relation_selectors
from relations import services as relation_services
from relations import traversal
from relations.access import explain, walk_rules
from relations.algorithms import TraversalLimitExceeded
from relations.models import Relationship
from relations.nodes import Node, node_of, normalize, parse_node

RELATION_TYPES = list(RelationType.values)
DEFAULT_PATH_DEPTH = 3

RELATIONSHIP_CREATE_SCHEMA = {
    "type": "object",
    "properties": {
        "source": NODE,
        "target": NODE,
        "type": {"enum": RELATION_TYPES},
        "metadata": {"type": "object"},
    },
    "required": ["source", "target", "type"],
    "additionalProperties": False,
}
RELATIONSHIP_DELETE_SCHEMA = {
    "type": "object",
    "properties": {"source": NODE, "target": NODE, "type": {"enum": RELATION_TYPES}},
    "required": ["source", "target", "type"],
    "additionalProperties": False,
}
FIND_PATH_SCHEMA = {
    "type": "object",
    "properties": {
        "from": NODE,
        "to": NODE,
        "max_depth": {"type": "integer", "minimum": 1, "maximum": constants.GRAPH_MAX_DEPTH},
        "type": {"enum": RELATION_TYPES},
        "required": {"type": "boolean"},
    },
    "required": ["from", "to"],
    "additionalProperties": False,
}
CHECK_SCHEMA = {
    "type": "object",
    "properties": {
        "subject": NODE,
        "permission": {"enum": list(Permission.values)},
        "object": NODE,
        "required": {"type": "boolean"},
    },
    "required": ["subject", "permission", "object"],
    "additionalProperties": False,
}


def stored(relationship: Relationship) -> dict[str, Any]:
    return {
        "source": relationship.source_node,
        "target": relationship.target_node,
        "type": relationship.type,
    }


def find_relationship(actor, source: Node, target: Node, type: str) -> Relationship | None:
    """Return the visible relationship recording ``source TYPE target``, in any spelling."""
    source, target, type = normalize(source, target, type)
    return (
        relation_selectors.relationships_visible_to(actor)
        .filter(
            source_type=source.content_type,
            source_id=source.id,
            target_type=target.content_type,
            target_id=target.id,
            type=type,
        )
        .first()
    )


# --- relationship.create ---------------------------------------------------------------------


def run_relationship_create(context: StepContext, parameters: dict[str, Any]) -> dict[str, Any]:
    """Record ``source TYPE target`` as the run's user; ``conflict`` when it exists already."""
    parameters = checked(RELATIONSHIP_CREATE_SCHEMA, parameters)
    actor = actor_of(context)
    source = node_parameter(parameters, "source")
    target = node_parameter(parameters, "target")
    relation_selectors.require_visible(actor, [source, target])
    relationship = relation_services.relationship_create(
        actor=actor,
        source=source,
        target=target,
        type=parameters["type"],
        metadata=parameters.get("metadata") or {},
    )
    source, target, type = normalize(source, target, parameters["type"])
    return {
        "relationship": str(relationship.pk),
        "source": str(source),
        "target": str(target),
        "type": type,
    }


def undo_relationship_create(context: StepContext, parameters: dict[str, Any], output: Any) -> None:
    """Delete the relationship the step made, if it still exists."""
    actor = actor_of(context)
    relationship = (
        relation_selectors.relationships_visible_to(actor)
        .filter(pk=(output or {}).get("relationship"))
        .first()
    )
    if relationship is None:
        if Relationship.objects.filter(pk=(output or {}).get("relationship")).exists():
            raise NotFoundError()  # still there, but out of the user's sight: not undone
        return
    relation_services.relationship_delete(actor=actor, relationship=relationship)


# --- relationship.delete ---------------------------------------------------------------------


def run_relationship_delete(context: StepContext, parameters: dict[str, Any]) -> dict[str, Any]:
    """Delete the relationship ``source TYPE target``; ``not_found`` when there is none."""
    parameters = checked(RELATIONSHIP_DELETE_SCHEMA, parameters)
    actor = actor_of(context)
    source = node_parameter(parameters, "source")
    target = node_parameter(parameters, "target")
    relation_selectors.require_visible(actor, [source, target])
    relationship = find_relationship(actor, source, target, parameters["type"])
    if relationship is None:
        raise NotFoundError(_("There is no such relationship."))
    deleted = {**stored(relationship), "metadata": relationship.metadata or {}}
    relation_services.relationship_delete(actor=actor, relationship=relationship)
    return {"deleted": True, "relationship": deleted}


def undo_relationship_delete(context: StepContext, parameters: dict[str, Any], output: Any) -> None:
    """Record the deleted relationship again, with its metadata (unless it is back already).

    No access check: it restores what the same user removed in the same run, which may have
    been the very edge that let them see one end.
    """
    actor = actor_of(context)
    deleted = (output or {}).get("relationship") or {}
    source = parse_node(deleted.get("source"), field="source")
    target = parse_node(deleted.get("target"), field="target")
    source, target, type = normalize(source, target, deleted.get("type"))
    exists = Relationship.objects.filter(
        source_type=source.content_type,
        source_id=source.id,
        target_type=target.content_type,
        target_id=target.id,
        type=type,
    ).exists()
    if exists:
        return
    relation_services.relationship_record(
        source=source,
        target=target,
        type=type,
        metadata=deleted.get("metadata") or {},
        created_by=actor,
    )


# --- graph.find_path -------------------------------------------------------------------------


def run_find_path(context: StepContext, parameters: dict[str, Any]) -> dict[str, Any]:
    """Find a shortest path through what the run's user may see, as ``relations/path/`` does."""
    parameters = checked(FIND_PATH_SCHEMA, parameters)
    actor = actor_of(context)
    start = node_parameter(parameters, "from")
    goal = node_parameter(parameters, "to")
    relation_selectors.require_visible(actor, [start, goal])
    depth = parameters.get("max_depth", DEFAULT_PATH_DEPTH)
    try:
        path = traversal.shortest_path(
            start,
            goal,
            types=[parameters["type"]] if "type" in parameters else None,
            max_depth=depth,
            max_visited=constants.GRAPH_MAX_VISITED,
            **walk_rules(actor),
        )
    except TraversalLimitExceeded as exc:
        raise StepError(
            _("The walk would visit more than %(limit)d nodes; ask for a smaller depth.")
            % {"limit": exc.limit},
            code="too_many_nodes",
        ) from exc
    if path is None:
        if parameters.get("required", True):
            raise StepError(
                _("No path within %(depth)d steps.") % {"depth": depth}, code="path_not_found"
            )
        return {"found": False, "path": [], "length": None}
    return {"found": True, "path": [str(node) for node in path], "length": len(path) - 1}


# --- graph.check -----------------------------------------------------------------------------


def subject_user(actor, subject: Node):
    """Return the user whose access is checked: the run's user, or anyone for staff."""
    if subject == node_of(actor):
        return actor
    if not actor.is_staff:
        raise AuthorizationError(_("You may only check your own access."))
    if subject.label != node_of(actor).label:
        raise StepError(_("The subject must be a user."), code="invalid_parameters")
    user = get_user_model().objects.filter(pk=subject.id).first()
    if user is None:
        raise NotFoundError(_("There is no such user."))
    return user


def run_check(context: StepContext, parameters: dict[str, Any]) -> dict[str, Any]:
    """Say whether ``subject`` may do ``permission`` on ``object`` and the path that grants it."""
    parameters = checked(CHECK_SCHEMA, parameters)
    actor = actor_of(context)
    subject = node_parameter(parameters, "subject")
    target = node_parameter(parameters, "object")
    decision = explain(subject_user(actor, subject), parameters["permission"], target)
    if not decision.allowed and parameters.get("required", False):
        raise StepError(
            _("%(subject)s may not %(permission)s %(object)s.")
            % {
                "subject": subject,
                "permission": parameters["permission"],
                "object": target,
            },
            code="not_allowed",
            details={"reason": decision.reason},
        )
    return {
        "allowed": decision.allowed,
        "reason": decision.reason,
        "path": decision.path_as_dicts(),
    }


register(
    StepType(
        name="relationship.create",
        description=_("Link two objects in the graph."),
        schema=RELATIONSHIP_CREATE_SCHEMA,
        run=run_relationship_create,
        undo=undo_relationship_create,
    )
)

register(
    StepType(
        name="relationship.delete",
        description=_("Remove a link between two objects from the graph."),
        schema=RELATIONSHIP_DELETE_SCHEMA,
        run=run_relationship_delete,
        undo=undo_relationship_delete,
    )
)

register(
    StepType(
        name="graph.find_path",
        description=_("Find a shortest path between two objects the user may see."),
        schema=FIND_PATH_SCHEMA,
        run=run_find_path,
        changes_data=False,
    )
)

register(
    StepType(
        name="graph.check",
        description=_("Check whether a user may do something with an object, and why."),
        schema=CHECK_SCHEMA,
        run=run_check,
        changes_data=False,
    )
)
