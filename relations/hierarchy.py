"""The parent hierarchy, read whole in one recursive query per round.

Parents come from two places: ``parent`` relationship rows and the structural foreign keys
declared in the registry (a page's space, a comment's thread). Rows are followed by a recursive
common table expression, the same SQL on PostgreSQL and SQLite; it is cycle-safe because
``UNION`` drops rows it has already produced, so even a corrupt graph with a loop ends. Foreign
keys are read one query per model between rounds. A hierarchy of any depth therefore costs a
few queries, not one per level (docs/PERFORMANCE.md has the measurement that chose this over a
frontier-per-query walk and over a closure table).
"""

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection

from nexus_site.definitions import constants
from nexus_site.definitions.enums import RelationType
from relations.algorithms import TraversalLimitExceeded
from relations.models import Relationship
from relations.nodes import Node
from relations.registry import model_label, registry

# Seeds per query: SQLite allows 32,766 bound parameters and each seed takes two.
SEED_CHUNK = 5_000

UP = ("target", "source")  # from a node to its parents: match the child end, read the parent
DOWN = ("source", "target")  # from a node to its children


@dataclass
class Hierarchy:
    """A piece of the parent hierarchy: ``parents[child]`` are the child's parents."""

    parents: dict[Node, set[Node]] = field(default_factory=dict)
    nodes: set[Node] = field(default_factory=set)

    def add(self, parent: Node, child: Node) -> None:
        self.parents.setdefault(child, set()).add(parent)
        self.nodes.update((parent, child))

    def upward_paths(self, start: Node) -> dict[Node, Node | None]:
        """Return, for every ancestor of ``start``, the next node down towards ``start``.

        Breadth first, so following the links from any ancestor gives a shortest path.
        """
        below: dict[Node, Node | None] = {start: None}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for parent in sorted(self.parents.get(node, ())):
                if parent not in below:
                    below[parent] = node
                    queue.append(parent)
        return below

    def children(self) -> dict[Node, set[Node]]:
        found: dict[Node, set[Node]] = {}
        for child, parents in self.parents.items():
            for parent in parents:
                found.setdefault(parent, set()).add(child)
        return found


def content_type_ids() -> tuple[dict[str, int], dict[int, str]]:
    from relations.services import content_types_by_label

    by_label = {label: ct.pk for label, ct in content_types_by_label().items()}
    return by_label, {pk: label for label, pk in by_label.items()}


def edge_closure(
    seeds: Iterable[Node], direction: tuple[str, str], *, limit: int
) -> list[tuple[Node, Node]]:
    """Return the parent edges reachable from ``seeds`` as (parent, child) pairs.

    ``direction`` is UP (towards the roots) or DOWN (towards the leaves). Raises
    TraversalLimitExceeded when more than ``limit`` edges are reachable.
    """
    near, far = direction
    ends = {
        (source if near == "source" else target)
        for kind, source, target in registry.rules
        if kind == RelationType.PARENT
    }
    seeds = sorted(node for node in set(seeds) if node.label in ends)  # others have no such rows
    if not seeds:
        return []
    ids_by_label, labels = content_type_ids()
    id_field = Relationship._meta.get_field("source_id")
    table = Relationship._meta.db_table
    edges: set[tuple[Node, Node]] = set()
    for start in range(0, len(seeds), SEED_CHUNK):
        chunk = seeds[start : start + SEED_CHUNK]
        values = ", ".join(["(%s, %s)"] * len(chunk))
        params: list = []
        for node in chunk:
            params += [ids_by_label[node.label], id_field.get_db_prep_value(node.id, connection)]
        sql = f"""
            WITH RECURSIVE seed(ct, id) AS (VALUES {values}),
            walk(near_ct, near_id, far_ct, far_id) AS (
                SELECT r.{near}_type_id, r.{near}_id, r.{far}_type_id, r.{far}_id
                FROM {table} r JOIN seed ON r.{near}_type_id = seed.ct AND r.{near}_id = seed.id
                WHERE r.type = %s
                UNION
                SELECT r.{near}_type_id, r.{near}_id, r.{far}_type_id, r.{far}_id
                FROM {table} r JOIN walk
                    ON r.{near}_type_id = walk.far_ct AND r.{near}_id = walk.far_id
                WHERE r.type = %s
            )
            SELECT near_ct, near_id, far_ct, far_id FROM walk LIMIT %s
        """  # noqa: S608 - identifiers are ours, every value is a parameter
        params += [RelationType.PARENT.value, RelationType.PARENT.value, limit + 1]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if len(rows) + len(edges) > limit:
            raise TraversalLimitExceeded(limit)
        for near_ct, near_id, far_ct, far_id in rows:
            near_node = Node(labels[near_ct], id_field.to_python(near_id))
            far_node = Node(labels[far_ct], id_field.to_python(far_id))
            edges.add((far_node, near_node) if direction == UP else (near_node, far_node))
    return list(edges)


def structural_parents(nodes: Iterable[Node]) -> list[tuple[Node, Node]]:
    """Return (parent, child) pairs read from the structural foreign keys of ``nodes``."""
    by_label: dict[str, list] = {}
    for node in nodes:
        if node.label in registry.structural_parents:
            by_label.setdefault(node.label, []).append(node.id)
    pairs = []
    for label, ids in by_label.items():
        model = registry.participants[label]
        names = registry.structural_parents[label]
        columns = [model._meta.get_field(name) for name in names]
        for row in model.objects.filter(pk__in=ids).values_list(
            "pk", *[c.attname for c in columns]
        ):
            child = Node(label, row[0])
            for column, parent_id in zip(columns, row[1:], strict=True):
                if parent_id is not None:
                    pairs.append((Node(model_label(column.related_model), parent_id), child))
    return pairs


def ancestry(nodes: Iterable[Node], *, limit: int = constants.GRAPH_MAX_VISITED) -> Hierarchy:
    """Return the hierarchy above ``nodes``: every ancestor, by edges and foreign keys."""
    hierarchy = Hierarchy(nodes=set(nodes))
    keys_read: set[Node] = set()
    to_read, to_walk = set(hierarchy.nodes), set(hierarchy.nodes)
    while to_read or to_walk:
        for parent, child in structural_parents(to_read):
            if parent not in hierarchy.nodes:
                to_walk.add(parent)  # a parent by key may have parents by rows
            hierarchy.add(parent, child)
        keys_read |= to_read
        for parent, child in edge_closure(to_walk, UP, limit=limit):
            hierarchy.add(parent, child)  # the closure is transitive: these need no walk
        to_walk = set()
        to_read = hierarchy.nodes - keys_read
        if len(hierarchy.nodes) > limit:
            raise TraversalLimitExceeded(limit)
    return hierarchy


def container_children() -> dict[str, list[tuple[str, str]]]:
    """Return, per parent label, the (child label, foreign key) pairs worth materialising.

    Only children that can themselves have children are listed: leaves are reached through
    their foreign key in SQL (see access.visible_filter) and never loaded.
    """
    containers = {source for type_, source, _target in registry.rules if type_ == "parent"}
    structural: dict[str, list[tuple[str, str]]] = {}
    for label, names in registry.structural_parents.items():
        model = registry.participants[label]
        for name in names:
            parent_label = model_label(model._meta.get_field(name).related_model)
            structural.setdefault(parent_label, []).append((label, name))
    containers |= set(structural)
    return {
        parent: [(child, name) for child, name in pairs if child in containers]
        for parent, pairs in structural.items()
    }


def descendants(nodes: Iterable[Node], *, limit: int = constants.GRAPH_MAX_VISIBLE) -> set[Node]:
    """Return ``nodes`` and every container below them, by edges and foreign keys.

    Leaves under a foreign key (a comment under a visible thread) are not included; leaves
    under a parent edge are, because the edge names them.
    """
    found = set(nodes)
    frontier = set(found)
    pairs_by_parent = container_children()
    while frontier:
        new: set[Node] = set()
        for _parent, child in edge_closure(frontier, DOWN, limit=limit):
            if child not in found:
                new.add(child)
        by_label: dict[str, list] = {}
        for node in frontier | new:
            by_label.setdefault(node.label, []).append(node.id)
        for parent_label, ids in by_label.items():
            for child_label, name in pairs_by_parent.get(parent_label, ()):
                model = registry.participants[child_label]
                for child_id in model.objects.filter(**{f"{name}__in": ids}).values_list(
                    "pk", flat=True
                ):
                    child = Node(child_label, child_id)
                    if child not in found:
                        new.add(child)
        found |= new
        if len(found) > limit:
            raise TraversalLimitExceeded(limit)
        frontier = new
    return found
