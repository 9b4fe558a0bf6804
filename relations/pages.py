"""The graph explorer page: a node's neighbourhood drawn, a path between two nodes highlighted,
and why the user may see the node. The admin's neighbourhood view draws with the same pieces."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from nexus_site.definitions import constants
from nexus_site.definitions.enums import Permission, RelationType
from nexus_site.exceptions import NotFoundError, ValidationError
from relations import traversal
from relations.access import Decision, explain, visible_nodes, walk_rules
from relations.algorithms import TraversalLimitExceeded
from relations.drawing import Drawing, DrawnNode, draw
from relations.models import STORED_TYPES, Relationship
from relations.nodes import Node, content_types_by_label, node_of, parse_node
from relations.selectors import names_of

NOT_FOUND = _("No such node, or you may not see it.")
TOO_MANY = _(
    "This neighbourhood has more than %(limit)d nodes. Choose a smaller depth or fewer types."
)
# More nodes than this make an unreadable picture, so the page refuses them.
EXPLORER_MAX_NODES = 300
SUGGESTIONS = 50
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
        context = super().get_context_data(form=form, path_form=path_form, **kwargs)
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
        why_nodes = [parse_node(step.target) for step in decision.path]
        names = names_of({*rings, *why_nodes, *suggestions})

        def href(node: Node) -> str:
            return "?" + urlencode({"node": str(node), "depth": depth, "type": types or []}, True)

        drawing = picture(
            rings,
            types=types,
            names=names,
            href=href,
            path=path,
            allow_edge=rules["allow_edge"],
        )
        return context | {
            "types": types or [],
            "names": names,
            "centre_name": names[centre],
            "drawing": drawing,
            "neighbours": neighbour_rows(drawing, depth),
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
