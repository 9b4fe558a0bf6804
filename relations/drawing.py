"""A node's neighbourhood as a picture: a radial layout by depth rings, ready for an SVG template.

Pure: plain data in (nodes with their ring, typed edges, names), plain data out (coordinates),
so the explorer page and the admin draw the same picture and the geometry is tested without a
database or a browser.
"""

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

NODE_RADIUS = 18
RING_GAP = 120
# Centre-to-centre distance between neighbours on one ring: room for their names.
NODE_SPACING = 100
MARGIN = 90
PARALLEL_OFFSET = 7  # between two edges joining the same pair of nodes

# Colour and dash of each edge type; CSS may restyle them, the admin uses them as they are.
EDGE_STYLES = {
    "owner": ("#c2410c", ""),
    "member": ("#15803d", ""),
    "linked": ("#0e7490", "6 4"),
    "parent": ("#64748b", ""),
}
OTHER_EDGE_STYLE = ("#94a3b8", "2 3")
SYMMETRIC_TYPES = frozenset({"linked"})
TAU = 2 * math.pi


@dataclass(frozen=True)
class Layout:
    positions: dict[Hashable, tuple[float, float]]
    size: float


@dataclass(frozen=True)
class DrawnNode:
    key: str
    href: str
    name: str
    kind: str
    ring: int
    x: float
    y: float
    on_path: bool


@dataclass(frozen=True)
class EdgeType:
    type: str
    phrase: str
    colour: str
    dash: str


@dataclass(frozen=True)
class DrawnEdge:
    type: str
    phrase: str
    source_name: str
    target_name: str
    x1: float
    y1: float
    x2: float
    y2: float
    colour: str
    dash: str
    arrow: bool
    on_path: bool


@dataclass(frozen=True)
class Drawing:
    size: float
    nodes: list[DrawnNode]
    edges: list[DrawnEdge]
    edge_types: list[EdgeType]  # for the legend and the arrowhead markers


def ring_radii(counts: Sequence[int]) -> list[float]:
    """Return the radius of each ring: far enough out, and wide enough for its nodes."""
    radii: list[float] = []
    for ring, count in enumerate(counts):
        radius = 0.0 if ring == 0 and count <= 1 else ring * RING_GAP
        if count > 1:
            # Neighbours on a circle of n nodes are 2·r·sin(π/n) apart.
            radius = max(radius, NODE_SPACING / (2 * math.sin(math.pi / count)))
        if radii:
            radius = max(radius, radii[-1] + RING_GAP)
        radii.append(radius)
    return radii


def layout(
    rings: Mapping[Hashable, int], edges: Iterable[tuple[Hashable, Hashable, str]] = ()
) -> Layout:
    """Place each node on the circle of its ring around the centre (ring 0).

    A node is placed near its neighbours on the rings inside it, so edges stay short and
    rarely cross; the first ring, whose only inner neighbour is the centre, goes evenly round
    from the top in the order given. Nodes of one ring never come closer than NODE_SPACING.
    """
    adjacent: dict[Hashable, set[Hashable]] = {}
    for source, target, _type in edges:
        adjacent.setdefault(source, set()).add(target)
        adjacent.setdefault(target, set()).add(source)
    by_ring: dict[int, list[Hashable]] = {}
    for key, ring in rings.items():
        by_ring.setdefault(ring, []).append(key)
    deepest = max(by_ring, default=0)
    radii = ring_radii([len(by_ring.get(ring, ())) for ring in range(deepest + 1)])
    angles: dict[Hashable, float] = {}
    for ring in sorted(by_ring):
        wanted = {}
        for key in by_ring[ring]:
            inner = [
                angles[other]
                for other in adjacent.get(key, ())
                if other in angles and 0 < rings[other] < ring
            ]
            wanted[key] = mean_angle(inner) if inner else None
        angles |= spread(wanted, min_gap(radii[ring]))
    size = 2 * (radii[-1] + MARGIN)
    middle = size / 2
    positions = {
        key: (
            round(middle + radii[rings[key]] * math.cos(angle), 1),
            round(middle + radii[rings[key]] * math.sin(angle), 1),
        )
        for key, angle in angles.items()
    }
    return Layout(positions, size)


def min_gap(radius: float) -> float:
    """Return the angle between two nodes NODE_SPACING apart on a circle of ``radius``."""
    if radius == 0:
        return 0.0
    return 2 * math.asin(min(1.0, NODE_SPACING / (2 * radius)))


def mean_angle(angles: list[float]) -> float:
    return math.atan2(sum(map(math.sin, angles)), sum(map(math.cos, angles)))


def spread(wanted: Mapping[Hashable, float | None], gap: float) -> dict[Hashable, float]:
    """Return an angle for each node, as near its wanted angle as ``gap`` between nodes allows.

    Nodes wanting one angle are centred on it; nodes wanting none follow the others. When the
    ring is too crowded for that, its nodes go evenly round in the same order.
    """
    top = -math.pi / 2
    known = {key: top + (angle - top) % TAU for key, angle in wanted.items() if angle is not None}
    unknown = [key for key, angle in wanted.items() if angle is None]
    if not known:
        return evenly(unknown, top)
    groups: dict[float, list[Hashable]] = {}
    for key in sorted(known, key=known.__getitem__):
        groups.setdefault(known[key], []).append(key)
    angles: dict[Hashable, float] = {}
    previous = -math.inf
    for centre, keys in groups.items():
        start = centre - (len(keys) - 1) * gap / 2
        for index, key in enumerate(keys):
            angles[key] = previous = max(start + index * gap, previous + gap)
    for key in unknown:
        angles[key] = previous = previous + gap
    order = list(angles)
    if angles[order[-1]] - angles[order[0]] > TAU - gap:  # the ring would close on itself
        return evenly(order, angles[order[0]])
    return angles


def evenly(keys: list[Hashable], start: float) -> dict[Hashable, float]:
    return {key: start + TAU * index / len(keys) for index, key in enumerate(keys)}


def edge_style(edge_type: str) -> tuple[str, str]:
    return EDGE_STYLES.get(edge_type, OTHER_EDGE_STYLE)


def draw(
    rings: Mapping[Hashable, int],
    edges: Iterable[tuple[Hashable, Hashable, str]],
    *,
    names: Mapping[Hashable, str],
    kinds: Mapping[Hashable, str],
    phrases: Mapping[str, str],
    href: Callable[[Hashable], str],
    path: Sequence[Hashable] = (),
) -> Drawing:
    """Return the picture of ``rings`` (node -> ring) joined by ``edges`` (source, target, type).

    ``phrases`` reads each type ("member of"). Nodes and edges of ``path`` are marked, so the
    template can highlight them.
    """
    edges = [edge for edge in edges if edge[0] in rings and edge[1] in rings]
    placed = layout(rings, edges)
    on_path_nodes = set(path)
    on_path_pairs = {frozenset(pair) for pair in pairwise(path)}
    nodes = [
        DrawnNode(
            key=str(key),
            href=href(key),
            name=names[key],
            kind=kinds[key],
            ring=ring,
            x=placed.positions[key][0],
            y=placed.positions[key][1],
            on_path=key in on_path_nodes,
        )
        for key, ring in rings.items()
    ]
    lanes = parallel_lanes(edges)
    drawn_edges = []
    for (source, target, edge_type), lane in zip(edges, lanes, strict=True):
        x1, y1, x2, y2 = segment(
            placed.positions[source], placed.positions[target], lane * PARALLEL_OFFSET
        )
        colour, dash = edge_style(edge_type)
        drawn_edges.append(
            DrawnEdge(
                type=edge_type,
                phrase=phrases.get(edge_type, edge_type),
                source_name=names[source],
                target_name=names[target],
                x1=x1,
                y1=y1,
                x2=x2,
                y2=y2,
                colour=colour,
                dash=dash,
                arrow=edge_type not in SYMMETRIC_TYPES,
                on_path=frozenset((source, target)) in on_path_pairs,
            )
        )
    types = sorted({edge.type for edge in drawn_edges})
    return Drawing(
        size=placed.size,
        nodes=nodes,
        edges=drawn_edges,
        edge_types=[
            EdgeType(edge_type, phrases.get(edge_type, edge_type), *edge_style(edge_type))
            for edge_type in types
        ],
    )


def parallel_lanes(edges: Sequence[tuple[Hashable, Hashable, str]]) -> list[float]:
    """Return each edge's sideways lane, so several edges between one pair stay apart."""
    by_pair: dict[frozenset, int] = {}
    for source, target, _type in edges:
        pair = frozenset((source, target))
        by_pair[pair] = by_pair.get(pair, 0) + 1
    seen: dict[frozenset, int] = {}
    lanes = []
    for source, target, _type in edges:
        pair = frozenset((source, target))
        index = seen.get(pair, 0)
        seen[pair] = index + 1
        lane = index - (by_pair[pair] - 1) / 2
        # Measure sideways from one fixed end, so edges drawn in opposite directions still part.
        lanes.append(lane if str(source) <= str(target) else -lane)
    return lanes


def segment(
    start: tuple[float, float], end: tuple[float, float], offset: float
) -> tuple[float, float, float, float]:
    """Return the line from circle to circle (not centre to centre), shifted sideways."""
    (x1, y1), (x2, y2) = start, end
    length = math.hypot(x2 - x1, y2 - y1) or 1.0
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    nx, ny = -uy * offset, ux * offset
    gap = NODE_RADIUS + 2
    return (
        round(x1 + ux * gap + nx, 1),
        round(y1 + uy * gap + ny, 1),
        round(x2 - ux * gap + nx, 1),
        round(y2 - uy * gap + ny, 1),
    )
