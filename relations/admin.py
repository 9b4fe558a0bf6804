"""Staff screens for the graph: relationships added and deleted through relations.services (so
validation, the cycle check and events apply), a node's neighbourhood drawn, and statistics."""

import uuid
from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from nexus_site.definitions.enums import RelationType
from nexus_site.exceptions import AuthorizationError, ConflictError, ValidationError
from relations import services
from relations.algorithms import TraversalLimitExceeded
from relations.models import STORED_TYPES, Relationship
from relations.nodes import Node, content_types_by_label, parse_node
from relations.pages import (
    RELATION_PHRASES,
    STORED_TYPE_CHOICES,
    TOO_MANY,
    NodeField,
    neighbour_rows,
    neighbourhood_rings,
    picture,
)
from relations.selectors import names_of, relationship_figures

ADD_FIELDS = ("source", "target", "type", "metadata")
VIEW_FIELDS = ("id", "source_node", "type", "target_node", "metadata", "created_by", "created_at")
TOP_NODES = 10
NODE_INPUT = forms.TextInput(attrs={"size": 60, "dir": "ltr", "spellcheck": "false"})
NODE_HELP = _("A node: app_label.model:uuid.")


class RelationshipAddForm(forms.ModelForm):
    """Create the relationship when the form is cleaned, so the service's refusals (a bad pair, a
    duplicate, a cycle) come back as form errors instead of failing after validation."""

    source = NodeField(label=_("Source"), widget=NODE_INPUT, help_text=NODE_HELP)
    target = NodeField(label=_("Target"), widget=NODE_INPUT, help_text=NODE_HELP)
    type = forms.ChoiceField(
        label=_("Type"),
        choices=STORED_TYPE_CHOICES,
        help_text=_("Read as: source is TYPE of target. For a child, swap the ends: parent."),
    )

    created_by = None  # the staff user, set per request by RelationshipAdmin.get_form

    class Meta:
        model = Relationship
        fields = ADD_FIELDS

    def clean_metadata(self) -> dict:
        metadata = self.cleaned_data.get("metadata") or {}
        if not isinstance(metadata, dict):
            raise forms.ValidationError(_("Write the metadata as a JSON object."))
        return metadata

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.instance = services.relationship_create(
                actor=self.created_by,
                source=cleaned["source"],
                target=cleaned["target"],
                type=cleaned["type"],
                metadata=cleaned["metadata"],
            )
        except AuthorizationError as exc:
            self.add_error(None, exc.message)
        except ValidationError as exc:
            for name, messages in (exc.details or {None: [exc.message]}).items():
                self.add_error(name if name in self.fields else None, messages)
        except ConflictError as exc:
            self.add_error(None, conflict_message(exc))
        return cleaned


def conflict_message(error: ConflictError) -> str:
    """Return the service's conflict message, naming the cycle's nodes when there is one."""
    cycle = [parse_node(text) for text in error.details.get("cycle", ())]
    if not cycle:
        return str(error.message)
    names = names_of(cycle)
    return _("%(message)s Cycle: %(cycle)s") % {
        "message": error.message,
        "cycle": " → ".join(f"{names[node]} ({node})" for node in cycle),
    }


class NeighbourhoodForm(forms.Form):
    node = NodeField(label=_("Node"), widget=NODE_INPUT)
    depth = forms.TypedChoiceField(
        label=_("Depth"), choices=[(1, "1"), (2, "2")], coerce=int, empty_value=1, required=False
    )


class StoredTypeFilter(admin.SimpleListFilter):
    """Filter by type, offering only the stored ones (a child edge is kept as a parent edge)."""

    title = _("type")
    parameter_name = "type"

    def lookups(self, request, model_admin):
        return [(value, label) for value, label in RelationType.choices if value in STORED_TYPES]

    def queryset(self, request, queryset):
        return queryset.filter(type=self.value()) if self.value() else queryset


@admin.register(Relationship)
class RelationshipAdmin(admin.ModelAdmin):
    """Relationships, read-only once made; added and deleted through the services."""

    list_display = (
        "source_node",
        "type",
        "target_node",
        "created_by",
        "created_at",
        "neighbourhood",
    )
    list_filter = (
        StoredTypeFilter,
        ("source_type", admin.RelatedOnlyFieldListFilter),
        ("target_type", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("=source_id", "=target_id")  # shows the box; get_search_results reads it
    search_help_text = _("A node (app_label.model:uuid) or a bare uuid: rows at either end.")
    list_select_related = ("source_type", "target_type", "created_by")
    date_hierarchy = "created_at"
    change_list_template = "relations/admin/change_list.html"

    @admin.display(description=_("source"))
    def source_node(self, obj: Relationship) -> str:
        return obj.source_node

    @admin.display(description=_("target"))
    def target_node(self, obj: Relationship) -> str:
        return obj.target_node

    @admin.display(description=_("neighbourhood"))
    def neighbourhood(self, obj: Relationship) -> str:
        url = reverse("admin:relations_relationship_neighbourhood")
        return format_html(
            '<a href="{}?{}">{}</a>', url, urlencode({"node": obj.source_node}), _("Draw")
        )

    def get_fields(self, request, obj=None):
        return ADD_FIELDS if obj is None else VIEW_FIELDS

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else VIEW_FIELDS

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = RelationshipAddForm
        form = super().get_form(request, obj, change=change, **kwargs)
        form.created_by = request.user  # a fresh class per call, so per request
        return form

    def save_model(self, request, obj, form, change) -> None:
        """Nothing left to do: RelationshipAddForm created the row through the service."""

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_model(self, request, obj: Relationship) -> None:
        self.delete_queryset(request, [obj])

    def delete_queryset(self, request, queryset) -> None:
        """Delete through the gate: a staff user who may not remove one of them removes none."""
        try:
            with transaction.atomic():
                for relationship in queryset:
                    services.relationship_delete(actor=request.user, relationship=relationship)
        except AuthorizationError as exc:
            raise PermissionDenied(exc.message) from exc

    def get_search_results(self, request, queryset, search_term):
        """Find the rows where a node (``label:uuid``) or any node with a bare uuid is an end."""
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            node = parse_node(term)
        except ValidationError:
            try:
                node_id = uuid.UUID(term)
            except ValueError:
                return queryset.none(), False
            return queryset.filter(Q(source_id=node_id) | Q(target_id=node_id)), False
        content_type = services.content_type_for(node)
        return queryset.filter(
            Q(source_type=content_type, source_id=node.id)
            | Q(target_type=content_type, target_id=node.id)
        ), False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "neighbourhood/",
                view(self.neighbourhood_view),
                name="relations_relationship_neighbourhood",
            ),
            path(
                "statistics/",
                view(self.statistics_view),
                name="relations_relationship_statistics",
            ),
            *super().get_urls(),
        ]

    def page_context(self, request, title) -> dict:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": title}

    def neighbourhood_view(self, request):
        """Draw a node's neighbours to depth 1 or 2, all of them: staff see the whole graph."""
        context = self.page_context(request, _("Neighbourhood"))
        form = NeighbourhoodForm(request.GET if "node" in request.GET else None)
        context["form"] = form
        if form.is_valid():
            context.update(self.draw_neighbourhood(form))
        return TemplateResponse(request, "relations/admin/neighbourhood.html", context)

    def draw_neighbourhood(self, form: NeighbourhoodForm) -> dict:
        centre, depth = form.cleaned_data["node"], form.cleaned_data["depth"]
        if not centre.model.objects.filter(pk=centre.id).exists():
            form.add_error("node", _("No such object."))
            return {}
        try:
            rings = neighbourhood_rings(centre, depth=depth, types=None)
        except TraversalLimitExceeded as exc:
            return {"limit_error": TOO_MANY % {"limit": exc.limit}}
        names = names_of(rings)

        def href(node: Node) -> str:
            return "?" + urlencode({"node": str(node), "depth": depth})

        drawing = picture(rings, types=None, names=names, href=href)
        return {
            "centre": centre,
            "centre_name": names[centre],
            "depth": depth,
            "drawing": drawing,
            "neighbours": neighbour_rows(drawing, depth),
        }

    def statistics_view(self, request):
        context = self.page_context(request, _("Relationship statistics"))
        context.update(relationship_statistics())
        return TemplateResponse(request, "relations/admin/statistics.html", context)


def relationship_statistics() -> dict:
    """Return the API's figures (selectors.relationship_figures) of the whole graph, plus
    counts by model at each end and the nodes with the most relationships."""
    rows = Relationship.objects.order_by()
    figures = relationship_figures(rows)
    by_type = [
        {"type": edge_type, "count": count, "phrase": RELATION_PHRASES.get(edge_type, edge_type)}
        for edge_type, count in sorted(
            figures["by_type"].items(), key=lambda item: (-item[1], item[0])
        )
        if count
    ]
    labels = {ct.pk: label for label, ct in content_types_by_label().items()}
    by_model: dict[str, dict[str, int]] = {}
    for end in ("source", "target"):
        for row in rows.values(f"{end}_type").annotate(count=Count("id")):
            label = labels.get(row[f"{end}_type"], "?")
            by_model.setdefault(label, {"source": 0, "target": 0})[end] = row["count"]
    top = {
        end: [
            (Node(labels[row[f"{end}_type"]], row[f"{end}_id"]), row["degree"])
            for row in rows.values(f"{end}_type", f"{end}_id")
            .annotate(degree=Count("id"))
            .order_by("-degree", f"{end}_id")[:TOP_NODES]
            if row[f"{end}_type"] in labels
        ]
        for end in ("source", "target")
    }
    names = names_of(node for ranked in top.values() for node, _degree in ranked)
    return {
        "total": figures["relationships"],
        "nodes": figures["nodes"],
        "mean_degree": figures["degree"]["mean"],
        "by_type": by_type,
        "by_model": sorted(by_model.items()),
        "top_out": [(node, names[node], degree) for node, degree in top["source"]],
        "top_in": [(node, names[node], degree) for node, degree in top["target"]],
    }
