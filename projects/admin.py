"""Staff screens for projects, tasks and their history. Every write goes through the services,
so access rules, activity rows and events apply as they do for the API."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.http import HttpResponseRedirect
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from nexus_site.definitions.enums import MemberRole
from nexus_site.exceptions import BaseAppException
from projects import selectors, services
from projects.models import Activity, Project, Task
from projects.tags import normalize_tags


class ServiceErrorsAsMessages:
    """Show a refused write as an error message instead of a server error.

    The admin wraps a save in a transaction, so the refused change is already rolled back.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except BaseAppException as exc:
            return self.refused(request, exc)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except BaseAppException as exc:
            return self.refused(request, exc)

    def changelist_view(self, request, extra_context=None):
        try:  # actions, the bulk delete among them, run here
            return super().changelist_view(request, extra_context)
        except BaseAppException as exc:
            return self.refused(request, exc)

    def refused(self, request, exc: BaseAppException) -> HttpResponseRedirect:
        self.message_user(request, service_error_text(exc), messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())


def service_error_text(exc: BaseAppException) -> str:
    details = "; ".join(
        f"{field}: {' '.join(map(str, problems)) if isinstance(problems, list) else problems}"
        for field, problems in exc.details.items()
    )
    return f"{exc.message} {details}".strip()


def adopt(obj, saved) -> None:
    """Point the admin's unsaved instance at the row a service created."""
    obj.pk = saved.pk
    obj._state.adding = False
    obj._state.db = saved._state.db


class ProjectAdminForm(forms.ModelForm):
    add_member = forms.ModelChoiceField(
        label=_("Add a member"),
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
    )
    add_member_role = forms.ChoiceField(
        label=_("with the role"),
        choices=MemberRole.choices,
        initial=MemberRole.MEMBER,
        required=False,
        help_text=_("Choosing someone who is already a member changes their role."),
    )
    remove_members = forms.ModelMultipleChoiceField(
        label=_("Remove members"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Project
        fields = (
            "name",
            "description",
            "owner",
            "status",
            "priority",
            "start_date",
            "end_date",
            "budget",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["remove_members"].queryset = selectors.project_members(
                self.instance
            ).exclude(pk=self.instance.owner_id)
        else:
            del self.fields["remove_members"]


@admin.register(Project)
class ProjectAdmin(ServiceErrorsAsMessages, admin.ModelAdmin):
    form = ProjectAdminForm
    list_display = (
        "name",
        "owner",
        "status",
        "priority",
        "start_date",
        "end_date",
        "budget",
        "task_count",
        "completion",
    )
    list_filter = ("status", "priority")
    search_fields = ("name", "owner__email")
    list_select_related = ("owner",)
    date_hierarchy = "created_at"
    readonly_fields = ("members", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "description", "owner", "status", "priority")}),
        (_("Plan"), {"fields": ("start_date", "end_date", "budget")}),
        (
            _("Members"),
            {"fields": ("members", "add_member", "add_member_role", "remove_members")},
        ),
        (_("Important dates"), {"fields": ("created_at", "updated_at")}),
    )

    def get_queryset(self, request):
        return selectors.with_progress(super().get_queryset(request))

    def get_fieldsets(self, request, obj=None):
        if obj is None:  # members come after the project exists
            return self.fieldsets[:2]
        return self.fieldsets

    @admin.display(description=_("tasks"), ordering="task_count")
    def task_count(self, obj: Project) -> int:
        return obj.task_count

    @admin.display(description=_("completion %"), ordering="completion")
    def completion(self, obj: Project) -> int:
        return obj.completion

    @admin.display(description=_("members"))
    def members(self, obj: Project):
        if obj.pk is None:
            return "-"
        return format_html_join(
            "",
            "<div>{} ({})</div>",
            ((user.email, user.project_role) for user in selectors.project_members(obj)),
        )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        fields = {name: data[name] for name in services.PROJECT_FIELDS if name in data}
        if not change:
            project = services.project_create(actor=request.user, owner=data["owner"], **fields)
            adopt(obj, project)
            return
        project = Project.objects.get(pk=obj.pk)
        changed = {name: fields[name] for name in form.changed_data if name in fields}
        if changed:
            project = services.project_update(actor=request.user, project=project, **changed)
        if "owner" in form.changed_data:
            project = services.project_owner_change(
                actor=request.user, project=project, owner=data["owner"]
            )
        self.save_membership(request, project, data)

    def save_membership(self, request, project: Project, data: dict) -> None:
        user, role = data.get("add_member"), data.get("add_member_role") or MemberRole.MEMBER
        if user is not None:
            if selectors.project_role(project, user) is None:
                services.project_member_add(
                    actor=request.user, project=project, user=user, role=role
                )
            else:
                services.project_member_role_change(
                    actor=request.user, project=project, user=user, role=role
                )
        for member in data.get("remove_members") or ():
            services.project_member_remove(actor=request.user, project=project, user=member)

    def delete_model(self, request, obj):
        services.project_delete(actor=request.user, project=obj)

    def delete_queryset(self, request, queryset):
        for project in queryset:
            services.project_delete(actor=request.user, project=project)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        # A project's history goes with it; nobody deletes activity rows one by one.
        perms_needed.discard(str(Activity._meta.verbose_name))
        return deleted, counts, perms_needed, protected


class TaskAdminForm(forms.ModelForm):
    depends_on = forms.ModelMultipleChoiceField(
        label=_("Depends on"),
        queryset=Task.objects.none(),
        required=False,
        help_text=_("Tasks of this project that must be done first."),
    )

    class Meta:
        model = Task
        fields = (
            "project",
            "title",
            "description",
            "assignee",
            "status",
            "priority",
            "estimated_hours",
            "actual_hours",
            "due_date",
            "tags",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        task = self.instance
        if task.pk:
            self.fields["depends_on"].queryset = Task.objects.filter(
                project_id=task.project_id
            ).exclude(pk=task.pk)
            self.fields["depends_on"].initial = list(
                task.dependencies.values_list("depends_on_id", flat=True)
            )
        else:
            del self.fields["depends_on"]

    def clean_tags(self) -> list[str]:
        return normalize_tags(self.cleaned_data.get("tags"))


@admin.register(Task)
class TaskAdmin(ServiceErrorsAsMessages, admin.ModelAdmin):
    form = TaskAdminForm
    list_display = (
        "title",
        "project",
        "status",
        "priority",
        "assignee",
        "due_date",
        "estimated_hours",
        "completed_at",
    )
    list_filter = (
        "status",
        "priority",
        ("project", admin.RelatedOnlyFieldListFilter),
        ("assignee", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("title", "project__name")
    list_select_related = ("project", "assignee")
    autocomplete_fields = ("project",)
    date_hierarchy = "created_at"
    readonly_fields = ("reporter", "completed_at", "created_at", "updated_at")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        return ("project", *self.readonly_fields)  # a task stays in its project

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        fields = {name: data[name] for name in services.TASK_FIELDS if name in data}
        if not change:
            task = services.task_create(actor=request.user, project=data["project"], **fields)
            adopt(obj, task)
            return
        task = Task.objects.select_related("project").get(pk=obj.pk)
        changed = {name: fields[name] for name in form.changed_data if name in fields}
        if changed:
            task = services.task_update(actor=request.user, task=task, **changed)
        if "depends_on" in form.changed_data:
            self.save_dependencies(request, task, set(data["depends_on"]))

    def save_dependencies(self, request, task: Task, wanted: set[Task]) -> None:
        current = {
            dependency.depends_on for dependency in task.dependencies.select_related("depends_on")
        }
        for depends_on in current - wanted:
            services.task_dependency_remove(actor=request.user, task=task, depends_on=depends_on)
        for depends_on in sorted(wanted - current, key=lambda other: other.created_at):
            services.task_dependency_add(actor=request.user, task=task, depends_on=depends_on)

    def delete_model(self, request, obj):
        services.task_delete(actor=request.user, task=obj)

    def delete_queryset(self, request, queryset):
        for task in queryset:
            services.task_delete(actor=request.user, task=task)


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    """The change history, read only: services write it."""

    list_display = ("created_at", "project", "task", "actor", "field", "old_value", "new_value")
    list_filter = ("field",)
    search_fields = ("project__name", "task__title", "field")
    list_select_related = ("project", "task", "actor")
    readonly_fields = [field.name for field in Activity._meta.fields]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
