"""Who may do what, and why: the one place that decides object access.

Rules: the admin role may do anything; an owner may do anything; a member may
view, comment and edit (a guest member only views); a member edge may carry a share's
``permission`` (view, comment, edit, manage) and ``expires_at``; access to a parent reaches its
children through any depth of parent edges and structural parents (foreign keys). The search
reads the whole hierarchy above the object in a few queries (relations.hierarchy) and returns a
shortest granting path.

The gate: every write of every app (services, pattern steps, admin) asks ``require`` for the
object it acts on, ``require_named`` for an object named in the request body, and
``require_relationship`` / ``require_unlink`` for a graph fact it is about to write or delete.
There is no other copy of these rules.
"""

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Model, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from nexus_site.definitions import constants
from nexus_site.definitions.enums import MemberRole, Permission, RelationType, Role
from nexus_site.exceptions import AuthorizationError, NotFoundError, ValidationError
from relations import reach
from relations.algorithms import TraversalLimitExceeded
from relations.hierarchy import (
    Hierarchy,
    ancestry,
    ancestry_query,
    content_type_ids,
    descendants,
    parent_edges,
)
from relations.models import Relationship
from relations.nodes import (
    Node,
    content_types_by_label,
    node_of,
    nodes_filter,
    normalize,
    parse_node,
)
from relations.registry import model_label, registry

LEVELS = list(Permission.values)
GRANTING_TYPES = [RelationType.OWNER.value, RelationType.MEMBER.value]


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
    """Return whether ``user`` may do ``action`` on ``node`` and the path that grants it.

    The path is a shortest one: a grant on a nearer ancestor wins, and at equal distance an
    owner edge wins over a member edge.
    """
    decided = decided_without_graph(user, action, node)
    if decided is not None:
        return decided
    subject = node_of(user)
    try:
        edge_rows, grants = _ancestry_and_grants(subject, node)
    except TraversalLimitExceeded:
        return Decision(False, "too_deep")
    now = timezone.now()
    grants = [
        grant
        for grant in grants
        if (level := grant_level(grant[1], grant[2] or {}, now=now)) and permits(level, action)
    ]
    if not grants:
        return Decision(False, "no_path")
    below = upward_paths(node, edge_rows)
    best: tuple[int, bool, Decision] | None = None
    for target, edge_type, _metadata in grants:
        path = [Step(str(subject), edge_type, str(target)), *path_down(target, below)]
        rank = (len(path), edge_type != RelationType.OWNER)
        if best is None or rank < best[:2]:
            best = (*rank, Decision(True, edge_type, path))
    return best[2] if best else Decision(False, "no_path")


def decided_without_graph(user, action: str, node: Node) -> Decision | None:
    """Return the decision when the graph is not needed for it, else None."""
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
    return None


def upward_paths(node: Node, edge_rows: list[tuple]) -> dict[Node, Node | None]:
    """Return, for every ancestor of ``node`` in ``edge_rows``, the next node down to it."""
    _ids_by_label, labels = content_type_ids()
    hierarchy = Hierarchy(nodes={node})
    for parent, child in parent_edges(edge_rows, labels):
        hierarchy.add(parent, child)
    return hierarchy.upward_paths(node)


def _ancestry_and_grants(
    subject: Node, node: Node, *, limit: int = constants.GRAPH_MAX_VISITED
) -> tuple[list[tuple], list[tuple[Node, str, dict]]]:
    """Return the parent edge rows above ``node`` and ``subject``'s owner/member edges into
    them (``node`` included).

    One statement: ``can`` is on every request, and building ORM queries cost more than the
    database spent answering them.
    """
    ids_by_label, labels = content_type_ids()
    sql, params = ancestry_query([node], limit, ids_by_label)
    table = connection.ops.quote_name(Relationship._meta.db_table)
    sql += f"""
        SELECT pct, pid, cct, cid, NULL, NULL FROM up
        UNION ALL
        SELECT g.target_type_id, g.target_id, NULL, NULL, g.type, g.metadata FROM {table} g
            JOIN (SELECT DISTINCT pct, pid FROM up) n
                ON g.target_type_id = n.pct AND g.target_id = n.pid
        WHERE g.source_type_id = %s AND g.source_id = %s AND g.type IN (%s, %s)
    """  # noqa: S608 - identifiers are ours, every value is a parameter
    id_field = Relationship._meta.get_field("source_id")
    params += [
        ids_by_label[subject.label],
        id_field.get_db_prep_value(subject.id, connection),
        *GRANTING_TYPES,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    edge_rows = [row[:4] for row in rows if row[4] is None and row[:2] != row[2:4]]
    if len(edge_rows) > limit:
        raise TraversalLimitExceeded(limit)
    metadata_field = Relationship._meta.get_field("metadata")
    grants = [
        (
            Node(labels[ct], id_field.to_python(pk)),
            edge_type,
            metadata_field.from_db_value(metadata, None, connection),
        )
        for ct, pk, _cct, _cid, edge_type, metadata in rows
        if edge_type is not None and ct in labels
    ]
    return edge_rows, grants


def grants_of(subject: Node, targets: Iterable[Node]) -> list[tuple[Node, str, dict]]:
    """Return the owner and member edges from ``subject`` to any of ``targets``."""
    targets = list(targets)
    if not targets:
        return []
    types = content_types_by_label()
    labels = {ct.pk: label for label, ct in types.items()}
    rows = Relationship.objects.filter(
        nodes_filter("target", targets, types),
        source_type=types[subject.label],
        source_id=subject.id,
        type__in=GRANTING_TYPES,
    ).values_list("target_type_id", "target_id", "type", "metadata")
    return [(Node(labels[ct], pk), edge_type, metadata) for ct, pk, edge_type, metadata in rows]


def path_down(start: Node, below: dict[Node, Node | None]) -> list[Step]:
    """Return the parent steps from ``start`` down to the node the search began at."""
    steps, node = [], start
    while (child := below.get(node)) is not None:
        steps.append(Step(str(node), RelationType.PARENT, str(child)))
        node = child
    return steps


def can(user, action: str, node: Node) -> bool:
    """Return whether ``user`` may do ``action`` on ``node``.

    ``explain`` without the path: on every request, so it skips building the hierarchy.
    """
    decided = decided_without_graph(user, action, node)
    if decided is not None:
        return decided.allowed
    try:
        _edge_rows, grants = _ancestry_and_grants(node_of(user), node)
    except TraversalLimitExceeded:
        return False
    now = timezone.now()
    return any(
        (level := grant_level(edge_type, metadata or {}, now=now)) and permits(level, action)
        for _target, edge_type, metadata in grants
    )


def permission_on(user, node: Node) -> str | None:
    """Return the strongest level ``user`` holds on ``node`` (None: not even view).

    The same answer as asking ``can`` for each level in turn, in one statement: a request that
    shows what its caller may do decides it once.
    """
    best = None
    for level in LEVELS:
        decided = decided_without_graph(user, level, node)
        if decided is None:
            break
        if not decided.allowed:
            return best
        best = level
    else:
        return best
    try:
        _edge_rows, grants = _ancestry_and_grants(node_of(user), node)
    except TraversalLimitExceeded:
        return best
    now = timezone.now()
    for _target, edge_type, metadata in grants:
        level = grant_level(edge_type, metadata or {}, now=now)
        if level and (best is None or permits(level, best)):
            best = level
    return best


def refusal_at(level: str | None, action: str) -> type[Exception] | None:
    """``refusal`` for a level already decided by ``permission_on`` for the same user and
    object: None when ``level`` covers ``action``, else AuthorizationError or NotFoundError."""
    if level is not None and permits(level, action):
        return None
    return NotFoundError if level is None else AuthorizationError


def sees_everything(user) -> bool:
    return user.role == Role.ADMIN


def visible_nodes(user, nodes: Iterable[Node]) -> set[Node]:
    """Return the nodes among ``nodes`` that ``user`` may view, in a few queries for all."""
    candidates = set(nodes)
    if not candidates or not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    if sees_everything(user):
        return candidates
    subject = node_of(user)
    visible = {node for node in candidates if node.label == subject.label}
    rest = candidates - visible
    if not rest:
        return visible
    hierarchy = ancestry(rest, limit=constants.GRAPH_MAX_VISIBLE)
    now = timezone.now()
    reached = {
        target
        for target, edge_type, metadata in grants_of(subject, hierarchy.nodes)
        if grant_level(edge_type, metadata or {}, now=now) is not None
    }
    children = hierarchy.children()
    frontier = set(reached)
    while frontier:
        frontier = {child for node in frontier for child in children.get(node, ())} - reached
        reached |= frontier
    return visible | (rest & reached)


def edge_visible(user, source: Node, target: Node) -> bool:
    """Return whether ``user`` may see an edge between two nodes they may see.

    A relationship between two users is theirs: only its ends (and admins) see it, as in
    ``selectors.relationships_visible_to``.
    """
    user_label = user._meta.label_lower
    if source.label != user_label or target.label != user_label or sees_everything(user):
        return True
    return user.pk in (source.id, target.id)


def walk_rules(user) -> dict[str, Callable]:
    """Return the ``allow`` and ``allow_edge`` filters that keep a graph walk to what ``user``
    may see (relations.traversal takes both)."""
    return {
        "allow": lambda nodes: visible_nodes(user, nodes),
        "allow_edge": lambda source, target: edge_visible(user, source, target),
    }


def visible_node_strings(user, nodes: Iterable[str]) -> set[str]:
    """The events module's "may see node" test: ``visible_nodes`` on node strings."""
    parsed = {}
    for text in nodes:
        try:
            parsed[parse_node(text)] = text
        except ValidationError:
            continue  # a node of a model that no longer takes part: nobody sees it
    return {parsed[node] for node in visible_nodes(user, parsed)}


def visible_filter(user, model: type[Model], *, reached: set[Node] | None = None) -> Q:
    """Return a filter on ``model`` keeping the objects ``user`` may view.

    Every selector of every app applies it, so lists never show what the caller may not see.
    The containers the user reaches are loaded (grants, then everything below them by parent
    edges and foreign keys); leaves are matched in SQL through their foreign key. A caller
    filtering several models passes ``reached`` (from ``reachable_containers``) to load once.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Q(pk__in=[])
    label = model_label(model)
    if sees_everything(user) or label == user._meta.label_lower:
        return Q()
    if reached is None:
        reached = reachable_containers(user)
    condition = Q(pk__in=[node.id for node in reached if node.label == label])
    for name in registry.structural_parents.get(label, ()):
        parent_label = model_label(model._meta.get_field(name).related_model)
        ids = [node.id for node in reached if node.label == parent_label]
        if ids:
            condition |= Q(**{f"{name}__in": ids})
    return condition


def gate_ids(obj: Model) -> list:
    """Return the ids of the nodes through which a user may view ``obj``: its own, then its
    structural parents' (the foreign keys ``visible_filter`` matches), those that are set.

    ``visible_filter(user, type(obj))`` keeps ``obj`` exactly when one of these ids is the id of
    a node in ``reachable_containers(user)`` (node ids are UUIDs, so the id alone names the
    node). An index that stores them (search.models.SearchEntry.gates) answers "may see" with
    one array overlap; it must write them again whenever one of those foreign keys changes.
    """
    ids = [obj.pk]
    for name in registry.structural_parents.get(model_label(type(obj)), ()):
        value = getattr(obj, type(obj)._meta.get_field(name).attname)
        if value is not None:
            ids.append(value)
    return ids


# Each user's live grants and reach, read once inside a ``sharing_reach`` block (the dashboard's
# panels): a context variable, so every request has its own and nothing outlives the block.
_shared_reach: ContextVar[dict | None] = ContextVar("relations_shared_reach", default=None)


@contextmanager
def sharing_reach() -> Iterator[None]:
    """Within this block, read each user's live grants and reach once and reuse them.

    For blocks that only read: a grant recorded inside the block is not seen by later reads in
    it. A block inside another shares the outer one's reads.
    """
    if _shared_reach.get() is not None:
        yield
        return
    token = _shared_reach.set({})
    try:
        yield
    finally:
        _shared_reach.reset(token)


def shared_read(key: tuple, read: Callable[[], Any]) -> Any:
    """Return ``read()``, once per ``key`` inside a ``sharing_reach`` block."""
    memo = _shared_reach.get()
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    return memo[key]


def live_grants(user) -> list[tuple[Node, str]]:
    """Return ``(node, level)`` for each live owner or member edge from ``user``."""
    return list(grants_and_first_expiry(user)[0])


def grants_and_first_expiry(user) -> tuple[tuple[tuple[Node, str], ...], datetime | None]:
    """Return ``live_grants(user)`` and the first time one of them expires (None: never)."""

    def read() -> tuple[tuple[tuple[Node, str], ...], datetime | None]:
        subject = node_of(user)
        types = content_types_by_label()
        labels = {ct.pk: label for label, ct in types.items()}
        now = timezone.now()
        grants, first_expiry = [], None
        for ct, pk, edge_type, metadata in Relationship.objects.filter(
            source_type=types[subject.label], source_id=subject.id, type__in=GRANTING_TYPES
        ).values_list("target_type_id", "target_id", "type", "metadata"):
            level = grant_level(edge_type, metadata or {}, now=now)
            if level is not None:
                grants.append((Node(labels[ct], pk), level))
                expiry = grant_expiry(edge_type, metadata or {})
                if expiry is not None and (first_expiry is None or expiry < first_expiry):
                    first_expiry = expiry
        return tuple(grants), first_expiry

    return shared_read(("grants", user.pk), read)


def grant_expiry(edge_type: str, metadata: dict) -> datetime | None:
    """Return when a live owner or member edge stops granting (None: never)."""
    expires_at = metadata.get("expires_at") if edge_type != RelationType.OWNER else None
    return parse_datetime(str(expires_at)) if expires_at else None


def reachable_containers(user) -> set[Node]:
    """Return what ``user`` holds a live grant on and every container below it.

    Kept between requests while the graph does not change (relations.reach)."""

    def compute() -> tuple[frozenset[Node], datetime | None]:
        grants, first_expiry = grants_and_first_expiry(user)
        return frozenset(descendants({node for node, _level in grants})), first_expiry

    def read() -> frozenset[Node]:
        return reach.cached_reach(user.pk, compute)

    try:
        return set(shared_read(("reach", user.pk), read))
    except TraversalLimitExceeded as exc:
        raise ValidationError(
            _("You can see more than %(limit)d containers; ask an administrator to split them.")
            % {"limit": exc.limit}
        ) from exc


def viewer_ids(node: Node) -> set:
    """Return the ids of the users a live owner or member grant lets see ``node``: on it or on
    any container above it (administrators see everything and are not listed).

    The reverse of ``reachable_containers``: who should hear of something that happened on
    ``node`` (comment mentions, notifications)."""
    types = content_types_by_label()
    try:
        hierarchy = ancestry([node])
    except TraversalLimitExceeded:  # as relations.access.can: too deep to decide grants nothing
        return set()
    now = timezone.now()
    rows = Relationship.objects.filter(
        nodes_filter("target", hierarchy.nodes, types),
        source_type=types[get_user_model()._meta.label_lower],
        type__in=GRANTING_TYPES,
    ).values_list("source_id", "type", "metadata")
    return {
        source_id
        for source_id, edge_type, metadata in rows
        if grant_level(edge_type, metadata or {}, now=now) is not None
    }


def people_reach_filter(user) -> Q:
    """Return a filter on users keeping those ``user`` may find by name: themself and the people
    with an owner or member edge on something ``user`` reaches (everyone for an administrator).

    The people picker, the pattern forms' people fields and the graph explorer's search use it,
    so none of them lists the whole user table."""
    if sees_everything(user):
        return Q()
    containers = reachable_containers(user)
    types = content_types_by_label()
    people = Relationship.objects.filter(
        source_type=types[get_user_model()._meta.label_lower],
        type__in=[RelationType.OWNER, RelationType.MEMBER],
    )
    if containers:
        people = people.filter(nodes_filter("target", containers, types))
    else:
        people = people.none()
    return Q(pk=user.pk) | Q(pk__in=people.values("source_id"))


# --- the gate ----------------------------------------------------------------------------------


def as_node(target: Model | Node) -> Node:
    return target if isinstance(target, Node) else node_of(target)


def refusal(user, action: str, node: Node) -> type[Exception] | None:
    """Return None when ``user`` may do ``action`` on ``node``; else AuthorizationError when they
    may at least see it, NotFoundError when they may not."""
    if can(user, action, node):
        return None
    if action != Permission.VIEW and can(user, Permission.VIEW, node):
        return AuthorizationError
    return NotFoundError


def require(user, action: str, target: Model | Node) -> None:
    """Refuse unless ``user`` may do ``action`` on ``target``, the object a request acts on.

    404 when the user may not even see it (the answer tells nothing of what exists), 403 when
    they see it but may not act.
    """
    error = refusal(user, action, as_node(target))
    if error is not None:
        raise error()


def require_named(
    user, action: str, target: Model | Node, *, field: str, message: str | None = None
) -> None:
    """Refuse unless ``user`` may do ``action`` on ``target``, an object named in a request body.

    422 on ``field`` when the user may not see it (the request is what is wrong, and a hidden
    object reads like a missing one), 403 when they see it but may not act.
    """
    error = refusal(user, action, as_node(target))
    if error is NotFoundError:
        raise ValidationError(details={field: [str(message or _("No such object."))]})
    if error is not None:
        raise error()


def require_placement(
    user, obj: Model, parent: Model | None, *, field: str, message: str | None = None
) -> None:
    """Refuse unless ``user`` may put ``obj`` under ``parent`` (None: take it out of its parent).

    Moving an object changes who reaches it, as a parent edge does: manage on the object, edit
    on its new parent (a parent named in the body: 422 when unseen).
    """
    require(user, Permission.MANAGE, obj)
    if parent is not None:
        require_named(user, Permission.EDIT, parent, field=field, message=message)


def relationship_needs(source: Node, target: Node, type: str) -> list[tuple[Node, str]]:
    """Return what recording the stored fact ``source TYPE target`` needs on each end.

    - owner, member: the edge hands its target to its source: manage on the target;
    - parent: the parent's people reach the child: manage on the child, edit on the parent;
    - linked: it grants nothing; both ends visible (and edit on one, see require_relationship).
    """
    if type == RelationType.PARENT:
        return [(source, Permission.EDIT), (target, Permission.MANAGE)]
    if type == RelationType.LINKED:
        return [(source, Permission.VIEW), (target, Permission.VIEW)]
    return [(source, Permission.VIEW), (target, Permission.MANAGE)]


def require_relationship(user, source: Node, target: Node, type: str) -> tuple[Node, Node, str]:
    """Return the stored form of ``source TYPE target`` once ``user`` may record it.

    The fact is normalised first (``A child B`` is stored as ``B parent A``), so the rule is
    that of what will be stored, however the request wrote it. Both ends were named in the
    request: an end the user may not see is a 422 on the field that named it.
    """
    fields = {target: "target", source: "source"}
    source, target, type = normalize(source, target, type)
    for node, action in relationship_needs(source, target, type):
        require_named(user, action, node, field=fields[node])
    if type == RelationType.LINKED and not (
        can(user, Permission.EDIT, source) or can(user, Permission.EDIT, target)
    ):
        raise AuthorizationError(_("You may not link objects you cannot edit."))
    return source, target, type


def require_unlink(user, *, source: Node, target: Node, type: str, created_by_id) -> None:
    """Refuse unless ``user`` may delete the stored fact ``source TYPE target``.

    Whoever recorded it may take it back; otherwise manage on the end it gives away (the
    target), or on either end of a ``linked`` edge.
    """
    if created_by_id is not None and created_by_id == getattr(user, "pk", None):
        return
    if can(user, Permission.MANAGE, target):
        return
    if type == RelationType.LINKED and can(user, Permission.MANAGE, source):
        return
    raise AuthorizationError()
