"""Staff screens for triggers (registered from patterns.admin): the triggers with their owner,
pattern, event type and state, what each did (read-only), and actions that turn them on or off.

Every write goes through patterns.triggers.services, as the pages and the API do: the form
rehearses the write while it is cleaned (rolled back), so an invalid filter, input map, scope
or version comes back as errors beside its field and nothing is saved. A trigger runs as its
owner, so its pattern is one the owner may run and its scope is checked as the owner.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from nexus_site.exceptions import BaseAppException
from patterns.admin import PrettyJSONField, Rehearsal, add_service_error, adopt
from patterns.models import PatternTrigger, TriggerFiring
from patterns.selectors import patterns_visible_to
from patterns.triggers import services

JSON_BOX = forms.Textarea(attrs={"rows": 6, "cols": 80, "dir": "ltr", "spellcheck": "false"})
FIRINGS_SHOWN = 20
WRITTEN_FIELDS = (
    "name",
    "version",
    "event_type",
    "scope_node",
    "with_descendants",
    "filter",
    "input_map",
    "rate_per_minute",
    "is_active",
)


class PatternTriggerAdminForm(forms.ModelForm):
    """A trigger, saved through trigger_create / trigger_update."""

    filter = PrettyJSONField(label=_("filter"), required=False, widget=JSON_BOX)
    input_map = PrettyJSONField(label=_("input"), required=False, widget=JSON_BOX)

    actor = None  # the staff user, set per request by PatternTriggerAdmin.get_form

    class Meta:
        model = PatternTrigger
        fields = ("pattern", *WRITTEN_FIELDS)
        widgets = {"scope_node": forms.TextInput(attrs={"dir": "ltr", "size": 60})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        owner = self.actor if self.instance._state.adding else self.instance.owner
        if "pattern" in self.fields and owner is not None:
            self.fields["pattern"].queryset = patterns_visible_to(owner).order_by("key")

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            with transaction.atomic():
                self.write()
                raise Rehearsal
        except Rehearsal:
            pass
        except BaseAppException as exc:
            add_service_error(self, exc, definition_field="filter")
        return cleaned

    def values(self) -> dict:
        cleaned = self.cleaned_data
        values = {name: cleaned.get(name) for name in WRITTEN_FIELDS}
        values["filter"] = cleaned.get("filter") or []
        values["input_map"] = cleaned.get("input_map") or {}
        values["scope_node"] = (cleaned.get("scope_node") or "").strip()
        return values

    def write(self) -> PatternTrigger:
        """Save the trigger through the services; return it."""
        pattern = self.cleaned_data["pattern"]
        if self.instance._state.adding:
            return services.trigger_create(actor=self.actor, pattern=pattern, **self.values())
        current = PatternTrigger.objects.select_related("owner", "pattern").get(pk=self.instance.pk)
        return services.trigger_update(
            actor=self.actor, trigger=current, pattern=pattern, **self.values()
        )


class TriggerFiringInline(admin.TabularInline):
    """The newest things the trigger did (the full list is under trigger firings)."""

    model = TriggerFiring
    fields = ("created_at", "event_id", "outcome", "execution_link", "detail")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = _("latest firings")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("execution").order_by("-id")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("execution"))
    def execution_link(self, obj: TriggerFiring) -> str:
        if obj.execution_id is None:
            return "—"
        url = reverse("admin:patterns_execution_change", args=[obj.execution_id])
        return format_html('<a href="{}">{}</a>', url, obj.execution.get_status_display())


@admin.register(PatternTrigger)
class PatternTriggerAdmin(admin.ModelAdmin):
    form = PatternTriggerAdminForm
    list_display = (
        "name",
        "owner",
        "pattern",
        "event_type",
        "is_active",
        "disabled_reason",
        "firings_link",
        "created_at",
    )
    list_filter = ("is_active", "event_type", ("pattern", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "event_type", "owner__email", "pattern__key", "scope_node")
    list_select_related = ("owner", "pattern")
    readonly_fields = ("owner", "disabled_reason", "created_at", "updated_at", "firings_link")
    inlines = [TriggerFiringInline]
    actions = ["disable_triggers", "enable_triggers"]

    def get_fields(self, request, obj=None):
        fields = ["pattern", *WRITTEN_FIELDS]
        if obj is not None:
            fields = ["owner", *fields, "disabled_reason", "firings_link"]
        return fields

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user  # a fresh class per call, so per request
        return form

    @admin.display(description=_("firings"))
    def firings_link(self, obj: PatternTrigger) -> str:
        url = reverse("admin:patterns_triggerfiring_changelist") + f"?trigger__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("What it did"))

    def save_model(self, request, obj, form, change) -> None:
        """Write through the services what the form rehearsed while it was cleaned."""
        saved = form.write()
        if not change:
            adopt(obj, saved)

    def get_deleted_objects(self, objs, request):
        """A trigger's firings go with it, although no one may delete a firing by itself."""
        deleted, counts, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected

    def delete_model(self, request, obj: PatternTrigger) -> None:
        services.trigger_delete(actor=request.user, trigger=obj)

    def delete_queryset(self, request, queryset) -> None:
        for trigger in queryset:
            services.trigger_delete(actor=request.user, trigger=trigger)

    def switch(self, request, queryset, *, active: bool) -> None:
        done = 0
        for trigger in queryset.select_related("owner", "pattern"):
            try:
                with transaction.atomic():
                    services.trigger_update(actor=request.user, trigger=trigger, is_active=active)
            except BaseAppException as exc:
                self.message_user(request, f"{trigger}: {exc.message}", messages.ERROR)
            else:
                done += 1
        if active:
            text = ngettext("%(count)d trigger is on.", "%(count)d triggers are on.", done) % {
                "count": done
            }
        else:
            text = ngettext("%(count)d trigger is off.", "%(count)d triggers are off.", done) % {
                "count": done
            }
        self.message_user(request, text, messages.SUCCESS if done else messages.WARNING)

    @admin.action(description=_("Turn the selected triggers off"))
    def disable_triggers(self, request, queryset):
        self.switch(request, queryset, active=False)

    @admin.action(description=_("Turn the selected triggers on"))
    def enable_triggers(self, request, queryset):
        self.switch(request, queryset, active=True)


@admin.register(TriggerFiring)
class TriggerFiringAdmin(admin.ModelAdmin):
    """What triggers did with events: a record, never written by hand."""

    list_display = ("id", "trigger", "event_id", "outcome", "execution", "created_at")
    list_filter = ("outcome", ("trigger", admin.RelatedOnlyFieldListFilter))
    search_fields = ("=event_id", "trigger__name", "=execution__id")
    list_select_related = ("trigger", "execution", "execution__pattern")
    date_hierarchy = "created_at"
    fields = ("trigger", "event_id", "outcome", "execution", "detail", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
