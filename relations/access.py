"""Who may do what, and why: the one place that decides object access.

Rules (DESIGN.md): the admin role may do anything; an owner may do anything; a member may
view, comment and edit (a guest member only views); a member edge may carry a share's
``permission`` (view, comment, edit, manage) and ``expires_at``; access to a parent reaches its
children through any depth of parent edges and structural parents (foreign keys). The search
walks upward from the object one level per query, so the path it returns is a shortest one.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from nexus_site.definitions import constants
from nexus_site.definitions.enums import MemberRole, Permission, RelationType, Role
from relations.models import Relationship
from relations.nodes import Node, node_of
from relations.registry import model_label, registry
from relations.services import content_types_by_label, nodes_filter

LEVELS = list(Permission.values)


@dataclass(frozen=True)
class Step:
    """One edge of a granting path: ``source`` is ``type`` of ``target``."""

    source: str
    type: str
    target: str

    def as_dict(self) -> dict[str, str]:
        return {"source": self.source, "type": self.type, "target": self.target}


@dataclass
class Decision:
    allowed: bool
    reason: str
    path: list[Step] = field(default_factory=list)

    def path_as_dicts(self) -> list[dict[str, str]]:
        return [step.as_dict() for step in self.path]


def permits(level: str, action: str) -> bool:
    """Return whether a grant of ``level`` covers ``action``."""
    return LEVELS.index(level) >= LEVELS.index(action)


def grant_level(edge_type: str, metadata: dict, *, now: datetime) -> str | None:
    """Return the permission an owner/member edge grants now, or None if it grants nothing."""
    if edge_type == RelationType.OWNER:
        return Permission.MANAGE
    expires_at = metadata.get("expires_at")
    if expires_at:
        expiry = parse_datetime(str(expires_at))
        if expiry is None or expiry <= now:
            return None
    permission = metadata.get("permission")
    if permission in LEVELS:
        return permission
    if metadata.get("role") == MemberRole.GUEST:
        return Permission.VIEW
    return Permission.EDIT


def explain(user, action: str, node: Node) -> Decision:
    """Return whether ``user`` may do ``action`` on ``node`` and the path that grants it."""
    if action not in LEVELS:
        return Decision(False, "unknown_action")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Decision(False, "anonymous")
    if user.role == Role.ADMIN:
        return Decision(True, "admin")
    subject = node_of(user)
    if node == subject:
        return Decision(True, "self")
    if node.label == subject.label and action == Permission.VIEW:
        return Decision(True, "directory")  # colleagues see each other, as in any workspace
    types = content_types_by_label()
    labels = {ct.pk: label for label, ct in types.items()}
    now = timezone.now()
    # down_step[n] = (the edge from n one level down towards the object, that lower node)
    down_step: dict[Node, tuple[Step, Node] | None] = {node: None}
    level = {node}
    for _depth in range(constants.GRAPH_MAX_DEPTH + 1):
        decision = grant_in_level(user, subject, action, level, down_step, types, now)
        if decision is not None:
            return decision
        level = parents_of(level, down_step, labels, types)
        if not level:
            break
    return Decision(False, "no_path")


def grant_in_level(user, subject, action, level, down_step, types, now) -> Decision | None:
    edges = Relationship.objects.filter(
        nodes_filter("target", level, types),
        source_type=types[subject.label],
        source_id=subject.id,
        type__in=[RelationType.OWNER, RelationType.MEMBER],
    ).values_list("target_type_id", "target_id", "type", "metadata")
    labels = {ct.pk: label for label, ct in types.items()}
    best: Decision | None = None
    for target_ct, target_id, edge_type, metadata in edges:
        level_granted = grant_level(edge_type, metadata or {}, now=now)
        if level_granted is None or not permits(level_granted, action):
            continue
        target = Node(labels[target_ct], target_id)
        path = [Step(str(subject), edge_type, str(target)), *path_down(target, down_step)]
        candidate = Decision(True, edge_type, path)
        if best is None or edge_type == RelationType.OWNER:
            best = candidate
    return best


def path_down(start: Node, down_step: dict) -> list[Step]:
    """Return the edges from ``start`` down to the object the search began at."""
    steps, node = [], start
    while (entry := down_step.get(node)) is not None:
        step, node = entry
        steps.append(step)
    return steps


def parents_of(level: set[Node], down_step: dict, labels: dict, types: dict) -> set[Node]:
    """Return the unseen parents of ``level`` (edges and structural foreign keys)."""
    found: set[Node] = set()
    rows = Relationship.objects.filter(
        nodes_filter("target", level, types), type=RelationType.PARENT
    ).values_list("source_type_id", "source_id", "target_type_id", "target_id")
    for source_ct, source_id, target_ct, target_id in rows:
        parent, child = Node(labels[source_ct], source_id), Node(labels[target_ct], target_id)
        if parent not in down_step:
            down_step[parent] = (Step(str(parent), RelationType.PARENT, str(child)), child)
            found.add(parent)
    by_label: dict[str, list] = {}
    for child in level:
        if child.label in registry.structural_parents:
            by_label.setdefault(child.label, []).append(child.id)
    for label, ids in by_label.items():
        model = registry.participants[label]
        for field_name in registry.structural_parents[label]:
            parent_label = model_label(model._meta.get_field(field_name).related_model)
            for child_id, parent_id in model.objects.filter(pk__in=ids).values_list(
                "pk", f"{field_name}_id"
            ):
                parent = Node(parent_label, parent_id)
                child = Node(label, child_id)
                if parent_id is not None and parent not in down_step:
                    down_step[parent] = (Step(str(parent), RelationType.PARENT, str(child)), child)
                    found.add(parent)
    return found


def can(user, action: str, node: Node) -> bool:
    """Return whether ``user`` may do ``action`` on ``node``."""
    return explain(user, action, node).allowed
