"""The graph explorer page: find a node by name, draw its neighbourhood (large ones capped and
grouped, nodes expanded on click), a path between two nodes highlighted, and why the user may
see the node. The admin's neighbourhood view draws with the same pieces.

Besides the page: ``/graph/search/?q=`` answers the names the user may see as JSON (the find
box's suggestions), and ``/graph/drawing/`` the drawing and its table for the page's query as
an HTML fragment (what a click on a node fetches to expand it in place).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import zip_longest
from urllib.parse import urlencode

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Q
from django.http import JsonResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from nexus_site.definitions import constants
from nexus_site.definitions.enums import Permission, RelationType
from nexus_site.exceptions import NotFoundError, ValidationError
from relations import traversal
from relations.access import (
    Decision,
    explain,
    people_reach_filter,
    reachable_containers,
    sees_everything,
    sharing_reach,
    visible_filter,
    visible_nodes,
    walk_rules,
)
from relations.algorithms import TraversalLimitExceeded
from relations.drawing import Drawing, DrawnNode, draw
from relations.models import STORED_TYPES, Relationship
from relations.nodes import Node, content_types_by_label, node_of, parse_node
from relations.registry import registry
from relations.selectors import names_of

NOT_FOUND = _("No such node, or you may not see it.")
TOO_MANY = _(
    "This neighbourhood has more than %(limit)d nodes. Choose a smaller depth or fewer types."
)
# More nodes than this make an unreadable picture, so the page refuses them.
EXPLORER_MAX_NODES = 300
SUGGESTIONS = 50
# A drawing shows at most this many neighbours hanging from one node, and this many nodes in
# all; the others are grouped by kind into one "+N more" node per node they hang from.
NODES_PER_NODE = 30
DRAWN_NODES = 120
EXPANDED_NODES = 5  # nodes expanded in one drawing
SEARCH_RESULTS = 20
SEARCH_MIN_LENGTH = 2
# The fields a node is found by, in the order they are tried on each model that has them.
NAME_FIELDS = ("name", "title", "first_name", "last_name", "email")
GROUP_EDGE = "more"
STORED_TYPE_CHOICES = [
    (value, label) for value, label in RelationType.choices if value in STORED_TYPES
]
RELATION_PHRASES = {
    RelationType.OWNER: _("owner of"),
    RelationType.MEMBER: _("member of"),
    RelationType.LINKED: _("linked to"),
    RelationType.PARENT: _("parent of"),
}


class NodeField(forms.CharField):
    """A graph node written ``app_label.model:uuid``."""

    def to_python(self, value) -> Node | None:
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            return parse_node(text)
        except ValidationError as exc:
            raise forms.ValidationError(next(iter(exc.details.values()))) from exc


def node_input(placeholder: bool = True) -> forms.TextInput:
    attrs = {"list": "node-suggestions", "dir": "ltr", "autocomplete": "off", "spellcheck": "false"}
    if placeholder:
        attrs["placeholder"] = "app_label.model:uuid"
    return forms.TextInput(attrs=attrs)


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Find by name"),
        max_length=100,
        min_length=SEARCH_MIN_LENGTH,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ExploreForm(forms.Form):
    node = NodeField(label=_("Node"), widget=node_input())
    depth = forms.TypedChoiceField(
        label=_("Depth"),
        choices=[(depth, str(depth)) for depth in (1, 2, 3)],
        coerce=int,
        empty_value=1,
        required=False,
    )
    type = forms.MultipleChoiceField(
        label=_("Relationship types"),
        choices=STORED_TYPE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every type."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class PathForm(forms.Form):
    path_from = NodeField(label=_("From"), widget=node_input(placeholder=False))
    path_to = NodeField(label=_("To"), widget=node_input(placeholder=False))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


@dataclass(frozen=True)
class WhyPart:
    """One piece of "why can I see this": a node (with its name) or a relation phrase."""

    text: str
    node: Node | None = None


def node_for_viewing(user, node: Node) -> Decision:
    """Return why ``user`` may view ``node``; a hidden node is as missing as a deleted one."""
    decision = explain(user, Permission.VIEW, node)
    if not decision.allowed or not node.model.objects.filter(pk=node.id).exists():
        raise NotFoundError(NOT_FOUND)
    return decision


def neighbourhood_rings(
    centre: Node,
    *,
    depth: int,
    types: list[str] | None,
    rules: dict | None = None,
    path: Iterable[Node] = (),
) -> dict[Node, int]:
    """Return the centre (ring 0), its neighbours on their depth's ring, and the nodes of
    ``path`` that lie further out on one more ring. ``rules`` are access.walk_rules (none for
    staff in the admin)."""
    distances = traversal.neighbors(
        centre,
        types=types,
        direction="both",
        depth=depth,
        max_visited=EXPLORER_MAX_NODES,
        **(rules or {}),
    )
    rings = {centre: 0}
    for node, distance in sorted(distances.items(), key=lambda item: (item[1], item[0])):
        rings.setdefault(node, distance)
    for node in path:
        rings.setdefault(node, depth + 1)
    return rings


def picture(
    rings: dict[Node, int],
    *,
    types: list[str] | None,
    names: dict[Node, str],
    href: Callable[[Node], str],
    path: list[Node] | None = None,
    allow_edge=None,
) -> Drawing:
    """Return the drawing of ``rings`` with the stored and structural edges among them."""
    return draw(
        rings,
        traversal.edges_among(rings, types=types, allow_edge=allow_edge),
        names=names,
        kinds={node: str(node.model._meta.verbose_name) for node in rings},
        phrases={edge_type: str(phrase) for edge_type, phrase in RELATION_PHRASES.items()},
        href=href,
        path=path or (),
    )


def neighbour_rows(drawing: Drawing, depth: int) -> list[DrawnNode]:
    """Return the drawn neighbours (not the centre, nor path nodes further out), nearest first."""
    rows = [node for node in drawing.nodes if 0 < node.ring <= depth]
    return sorted(rows, key=lambda node: (node.ring, node.name.casefold()))


def related_nodes(user, *, limit: int = SUGGESTIONS) -> list[Node]:
    """Return the other ends of the user's own relationships that the user may view."""
    me = node_of(user)
    types = content_types_by_label()
    labels = {ct.pk: label for label, ct in types.items()}
    mine = Q(source_type=types[me.label], source_id=me.id) | Q(
        target_type=types[me.label], target_id=me.id
    )
    rows = (
        Relationship.objects.filter(mine)
        .order_by("-created_at")
        .values_list("source_type_id", "source_id", "target_type_id", "target_id")[:limit]
    )
    others = []
    for source_type, source_id, target_type, target_id in rows:
        source, target = Node(labels[source_type], source_id), Node(labels[target_type], target_id)
        other = target if source == me else source
        if other not in others:
            others.append(other)
    visible = visible_nodes(user, others)
    return [node for node in others if node in visible]


def why_parts(decision: Decision, names: dict[Node, str]) -> list[WhyPart]:
    """Return the granting path as readable steps: You, member of, Space A, parent of, Page B."""
    if not decision.path:
        return []
    parts = [WhyPart(str(_("You")))]
    for step in decision.path:
        target = parse_node(step.target)
        parts.append(WhyPart(str(RELATION_PHRASES.get(step.type, step.type))))
        parts.append(WhyPart(names[target], target))
    return parts


@dataclass(frozen=True)
class Found:
    """A node found by name: what the find box lists."""

    node: Node
    name: str
    kind: str


def search_nodes(user, text: str, *, limit: int = SEARCH_RESULTS) -> list[Found]:
    """Return the nodes ``user`` may see whose name contains ``text``, best matches first.

    Every model that takes part in the graph is searched by its name fields, through the same
    visibility filter as every list (relations.access.visible_filter): one query per model,
    the user's reach read once. People are found by name only among those the people picker
    finds (relations.access.people_reach_filter: who shares something with the user), so a search
    never lists the whole directory.
    """
    text = text.strip()
    if len(text) < SEARCH_MIN_LENGTH:
        return []
    with sharing_reach():
        return _search(user, text, limit)


def _search(user, text: str, limit: int) -> list[Found]:
    reached = None if sees_everything(user) else reachable_containers(user)
    people = get_user_model()
    found: list[Found] = []
    for _label, model in sorted(registry.participants.items()):
        names = [field for field in NAME_FIELDS if has_field(model, field)]
        if not names:
            continue
        matches = Q()
        for word in text.split():
            any_field = Q()
            for name in names:
                any_field |= Q(**{f"{name}__icontains": word})
            matches &= any_field
        rows = model.objects.filter(visible_filter(user, model, reached=reached)).filter(matches)
        if has_field(model, "deleted_at"):
            rows = rows.filter(deleted_at__isnull=True)
        if model is people:
            rows = rows.filter(people_reach_filter(user), is_active=True)
        kind = str(model._meta.verbose_name)
        found += [Found(node_of(obj), str(obj), kind) for obj in rows.order_by(names[0])[:limit]]
    folded = text.casefold()
    found.sort(key=lambda item: (not item.name.casefold().startswith(folded), item.name.casefold()))
    return found[:limit]


def has_field(model, name: str) -> bool:
    return any(field.name == name for field in model._meta.get_fields())


@dataclass(frozen=True, order=True)
class Group:
    """The neighbours of ``anchor`` of one kind left out of a drawing, drawn as one node."""

    anchor: Node
    label: str
    count: int

    def __str__(self) -> str:
        return f"{GROUP_EDGE}:{self.anchor}:{self.label}"


def capped(
    rings: dict[Node, int],
    edges: list[tuple[Node, Node, str]],
    *,
    keep: Iterable[Node] = (),
    names: dict[Node, str] | None = None,
    per_node: int = NODES_PER_NODE,
    total: int = DRAWN_NODES,
) -> tuple[dict, list[tuple]]:
    """Return the rings and edges to draw: at most ``per_node`` neighbours hanging from one
    node and ``total`` nodes in all, the others grouped by kind into a ``Group`` per node.

    Pure. A node hangs from its first drawn neighbour on an inner ring; one whose inner
    neighbours are all left out is left out too (a click on its group's node, or on the
    neighbour it hangs from, reaches it). ``keep`` (the centre, a path) is always drawn. The
    neighbours of one node are taken a kind at a time in turn, by name, so a crowd of one kind
    does not hide the others.
    """
    names = names or {}
    adjacent: dict[Node, set[Node]] = {}
    for source, target, _type in edges:
        adjacent.setdefault(source, set()).add(target)
        adjacent.setdefault(target, set()).add(source)
    kept = {node for node, ring in rings.items() if ring == 0} | (set(keep) & set(rings))
    left_out: dict[tuple[Node, str], list[Node]] = {}
    for ring in sorted({ring for ring in rings.values() if ring > 0}):
        hanging: dict[Node, dict[str, list[Node]]] = {}
        for node in sorted(node for node, at in rings.items() if at == ring and node not in kept):
            inner = sorted(
                other for other in adjacent.get(node, ()) if other in kept and rings[other] < ring
            )
            if inner:
                hanging.setdefault(inner[0], {}).setdefault(node.label, []).append(node)
        for anchor in sorted(hanging):
            by_kind = [
                sorted(nodes, key=lambda node: (names.get(node, "").casefold(), node))
                for _label, nodes in sorted(hanging[anchor].items())
            ]
            taken = 0
            for node in (node for turn in zip_longest(*by_kind) for node in turn if node):
                if taken < per_node and len(kept) < total:
                    kept.add(node)
                    taken += 1
                else:
                    left_out.setdefault((anchor, node.label), []).append(node)
    drawn: dict = {node: ring for node, ring in rings.items() if node in kept}
    drawn_edges: list[tuple] = [edge for edge in edges if edge[0] in kept and edge[1] in kept]
    for (anchor, label), nodes in sorted(left_out.items()):
        group = Group(anchor, label, len(nodes))
        drawn[group] = rings[anchor] + 1
        drawn_edges.append((anchor, group, GROUP_EDGE))
    return drawn, drawn_edges


def group_name(group: Group) -> str:
    plural = registry.participants[group.label]._meta.verbose_name_plural
    return gettext("+%(count)d more %(kinds)s") % {"count": group.count, "kinds": plural}


def expanded(value: list[str], rings: dict[Node, int]) -> list[Node]:
    """Return the nodes to expand named in ``value`` that are in the drawing (others ignored)."""
    nodes = []
    for text in value:
        try:
            node = parse_node(text)
        except ValidationError:
            continue
        if node in rings and node not in nodes:
            nodes.append(node)
    return nodes[:EXPANDED_NODES]


@dataclass(frozen=True)
class NeighbourRow:
    """One neighbour in the table under the drawing (drawn or grouped)."""

    key: str
    href: str
    name: str
    kind: str
    ring: int


class GraphExplorerView(LoginRequiredMixin, TemplateView):
    """Draw a node's neighbourhood the user may see, a path in it, and why the node is visible."""

    template_name = "relations/explorer.html"

    @property
    def user(self):
        return self.request.user

    def get_context_data(self, **kwargs):
        query = self.request.GET
        form = ExploreForm(query if "node" in query else None)
        path_form = PathForm(query if {"path_from", "path_to"} & set(query) else None)
        search_form = SearchForm(query if "q" in query else None)
        context = super().get_context_data(
            form=form, path_form=path_form, search_form=search_form, **kwargs
        )
        if search_form.is_valid():
            context["found"] = search_nodes(self.user, search_form.cleaned_data["q"])
        suggestions = related_nodes(self.user)
        if form.is_valid():
            try:
                context.update(self.explore(form, path_form, suggestions))
            except TraversalLimitExceeded as exc:
                context["limit_error"] = TOO_MANY % {"limit": exc.limit}
        if "names" not in context:
            context["names"] = names_of(suggestions)
        context["suggestions"] = [(node, context["names"][node]) for node in suggestions]
        return context

    def explore(self, form: ExploreForm, path_form: PathForm, suggestions: list[Node]) -> dict:
        user = self.user
        centre, depth = form.cleaned_data["node"], form.cleaned_data["depth"]
        types = form.cleaned_data["type"] or None
        try:
            decision = node_for_viewing(user, centre)
        except NotFoundError as exc:
            form.add_error("node", exc.message)
            return {}
        context: dict = {"centre": centre, "depth": depth, "decision": decision}
        if not path_form.is_bound:
            context["path_form"] = PathForm(initial={"path_from": str(centre)})
        path = self.find_path(path_form, types)
        rules = walk_rules(user)
        rings = neighbourhood_rings(centre, depth=depth, types=types, rules=rules, path=path or ())
        path_only = {node for node, ring in rings.items() if ring > depth}
        expand = expanded(self.request.GET.getlist("expand"), rings)
        for node in expand:
            extra = traversal.neighbors(
                node,
                types=types,
                direction="both",
                depth=1,
                max_visited=EXPLORER_MAX_NODES,
                **rules,
            )
            for neighbour in sorted(extra):
                rings.setdefault(neighbour, rings[node] + 1)
        why_nodes = [parse_node(step.target) for step in decision.path]
        names = names_of({*rings, *why_nodes, *suggestions})
        edges = traversal.edges_among(rings, types=types, allow_edge=rules["allow_edge"])
        drawn, drawn_edges = capped(rings, edges, keep=[centre, *(path or ())], names=names)

        def href(node: Node) -> str:
            return "?" + urlencode({"node": str(node), "depth": depth, "type": types or []}, True)

        here = {"node": str(centre), "depth": depth, "type": types or []}
        if path:
            here |= {"path_from": str(path[0]), "path_to": str(path[-1])}

        def expand_href(node) -> str:
            if isinstance(node, Group):
                return "#neighbours"
            wanted = [str(other) for other in expand if other != node]
            if node not in expand and node != centre:
                wanted.append(str(node))
            return "?" + urlencode(here | {"expand": wanted[-EXPANDED_NODES:]}, True)

        kind_of = {node: str(node.model._meta.verbose_name) for node in rings}
        groups = [node for node in drawn if isinstance(node, Group)]
        drawing = draw(
            drawn,
            drawn_edges,
            names=names | {group: group_name(group) for group in groups},
            kinds=kind_of | dict.fromkeys(groups, ""),
            phrases={edge_type: str(phrase) for edge_type, phrase in RELATION_PHRASES.items()}
            | {GROUP_EDGE: gettext("grouped")},
            href=expand_href,
            path=path or (),
        )
        neighbours = sorted(
            (
                NeighbourRow(str(node), href(node), names[node], kind_of[node], ring)
                for node, ring in rings.items()
                if ring > 0 and node not in path_only
            ),
            key=lambda row: (row.ring, row.name.casefold()),
        )
        return context | {
            "types": types or [],
            "names": names,
            "centre_name": names[centre],
            "drawing": drawing,
            "expanded": [str(node) for node in expand],
            "grouped": sum(group.count for group in groups),
            "neighbours": neighbours,
            "why": why_parts(decision, names),
            "path": [(node, names[node], href(node)) for node in path or ()],
            "path_missing": path_form.is_bound and path_form.is_valid() and path is None,
            "max_path_depth": constants.GRAPH_MAX_DEPTH,
        }

    def find_path(self, path_form: PathForm, types: list[str] | None) -> list[Node] | None:
        """Return a shortest path between the form's two nodes through nodes the user sees."""
        if not path_form.is_valid():
            return None
        ends = []
        for name in ("path_from", "path_to"):
            node = path_form.cleaned_data[name]
            try:
                node_for_viewing(self.user, node)
            except NotFoundError as exc:
                path_form.add_error(name, exc.message)
            ends.append(node)
        if not path_form.is_valid():
            return None
        return traversal.shortest_path(
            *ends, types=types, max_depth=constants.GRAPH_MAX_DEPTH, **walk_rules(self.user)
        )


class GraphDrawingView(GraphExplorerView):
    """The explorer's drawing and its table for the same query, as an HTML fragment: what a
    click on a node fetches to expand it without reloading the page."""

    template_name = "relations/_drawing.html"


class NodeSearchView(LoginRequiredMixin, View):
    """``GET /graph/search/?q=`` -> ``{"results": [{"node", "name", "kind", "url"}]}``: the
    nodes the user may see whose name holds the text (the find box's suggestions)."""

    http_method_names = ["get"]

    def get(self, request):
        form = SearchForm(request.GET)
        found = search_nodes(request.user, form.cleaned_data["q"]) if form.is_valid() else []
        return JsonResponse(
            {
                "results": [
                    {
                        "node": str(item.node),
                        "name": item.name,
                        "kind": item.kind,
                        "url": "?" + urlencode({"node": str(item.node)}),
                    }
                    for item in found
                ]
            }
        )
