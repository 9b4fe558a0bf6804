"""Staff screens: the price table (editable), interactions (read-only), budgets and alerts."""

from django.contrib import admin

from workspace.ai_usage.models import AIBudget, AIBudgetAlert, AIInteraction, ModelPrice


@admin.register(ModelPrice)
class ModelPriceAdmin(admin.ModelAdmin):
    list_display = ("model", "usage_type", "price_per_million", "currency", "valid_from")
    list_filter = ("usage_type", "model", "valid_from")
    search_fields = ("model",)
    ordering = ("model", "-valid_from", "usage_type")
    date_hierarchy = "valid_from"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by services only: staff look, never edit."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AIInteraction)
class AIInteractionAdmin(ReadOnlyAdmin):
    list_display = (
        "occurred_at",
        "user",
        "module",
        "model",
        "project",
        "status",
        "input_tokens",
        "output_tokens",
        "cached_tokens",
        "latency_ms",
        "cost",
        "cost_source",
    )
    list_filter = ("module", "model", "status", "cost_source", "occurred_at")
    list_select_related = ("user", "project")
    search_fields = ("model", "user__email", "project__name")
    date_hierarchy = "occurred_at"
    show_full_result_count = False  # a count of a large table is slow on PostgreSQL


@admin.register(AIBudget)
class AIBudgetAdmin(admin.ModelAdmin):
    list_display = ("__str__", "user", "project", "amount", "currency", "created_at")
    list_select_related = ("user", "project")
    autocomplete_fields = ("user", "project")
    search_fields = ("user__email", "project__name")


@admin.register(AIBudgetAlert)
class AIBudgetAlertAdmin(ReadOnlyAdmin):
    list_display = ("budget", "month", "spent", "created_at")
    list_select_related = ("budget__user", "budget__project")
    list_filter = ("month",)
