"""The forms of the project pages. They parse input only: access and every rule are the
services' (projects.services), whose refusals the views put back on the form's fields."""

from decimal import Decimal

from django import forms
from django.core.validators import MinValueValidator
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from nexus_site.definitions.enums import MemberRole
from nexus_site.exceptions import BaseAppException
from projects.models import Priority, ProjectStatus, TaskStatus
from projects.tags import MAX_TAG_LENGTH, MAX_TAGS

NOT_NEGATIVE = MinValueValidator(Decimal("0"))
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def add_service_errors(form: forms.Form, exc: BaseAppException) -> None:
    """Put a service's refusal on ``form``: each detail on its field, the message on top."""
    placed = False
    for name, problems in exc.details.items():
        if name in form.fields and name not in form.errors:
            for problem in problems if isinstance(problems, list) else [problems]:
                form.add_error(name, str(problem))
            placed = True
    if not placed or not exc.details:
        form.add_error(None, str(exc.message))


class ProjectForm(forms.Form):
    """A project's own fields and its parent, chosen among the projects the user may edit."""

    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    status = forms.ChoiceField(label=_("Status"), choices=ProjectStatus.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    start_date = forms.DateField(label=_("Start date"), required=False, widget=DATE)
    end_date = forms.DateField(label=_("End date"), required=False, widget=DATE)
    budget = forms.DecimalField(
        label=_("Budget"),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        initial=Decimal("0"),
    )
    parent = forms.ChoiceField(label=_("Part of"), required=False)

    def __init__(self, *args, parents, exclude=None, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.parents = {str(project.pk): project for project in parents if project.pk != exclude}
        choices = [(pk, project.name) for pk, project in self.parents.items()]
        # The parent it has now stays a choice (keeping it changes nothing), even when the
        # user may not edit that parent and so could not choose it anew.
        if current is not None and str(current[0]) not in self.parents:
            choices.insert(0, (str(current[0]), current[1]))
        self.fields["parent"].choices = [("", _("No parent project (top level)")), *choices]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The end date cannot be before the start date."))
        return cleaned

    def parent_project(self):
        return self.parents.get(self.cleaned_data.get("parent") or "")


class QuickTaskForm(forms.Form):
    """A new task from its title alone, in the column it was typed into."""

    title = forms.CharField(label=_("Title"), max_length=300)
    status = forms.ChoiceField(choices=TaskStatus.choices, required=False)


class TagsField(forms.CharField):
    """Tags typed as one line, separated by commas."""

    def to_python(self, value):
        text = super().to_python(value)
        return [tag.strip() for tag in text.split(",") if tag.strip()]

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value


class TaskForm(forms.Form):
    """Every field of a task a member may edit; the assignee among the project's members."""

    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    status = forms.ChoiceField(label=_("Status"), choices=TaskStatus.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    due_date = forms.DateField(label=_("Due date"), required=False, widget=DATE)
    estimated_hours = forms.DecimalField(
        label=_("Estimated hours"), required=False, max_digits=8, decimal_places=2, min_value=0
    )
    actual_hours = forms.DecimalField(
        label=_("Actual hours"), max_digits=8, decimal_places=2, min_value=0
    )
    tags = TagsField(
        label=_("Tags"),
        required=False,
        # Formatted when shown, in the page's language (a lazy string formatted here would be
        # turned into English once, at import).
        help_text=lazy(
            lambda: (
                gettext(
                    "Separate tags with commas (at most %(count)d, %(length)d characters each)."
                )
                % {"count": MAX_TAGS, "length": MAX_TAG_LENGTH}
            ),
            str,
        )(),
    )
    # When the page was loaded: a save over someone else's newer change is refused once.
    loaded = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = {str(member.pk): member for member in members}
        self.fields["assignee"].choices = [("", _("Nobody"))] + [
            (pk, member.full_name) for pk, member in self.members.items()
        ]

    def changes(self) -> dict:
        """Return the cleaned fields as task_update takes them (the assignee as a user)."""
        data = {name: value for name, value in self.cleaned_data.items() if name != "loaded"}
        data["assignee"] = self.members.get(data["assignee"] or "")
        return data


class MemberAddForm(forms.Form):
    """A person (an e-mail, or an id from the people picker) and the role they get."""

    person = forms.CharField(label=_("Person"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=MemberRole.choices, initial="member")


class MemberRoleForm(forms.Form):
    user = forms.UUIDField(widget=forms.HiddenInput)
    role = forms.ChoiceField(label=_("Role"), choices=MemberRole.choices)


class DependencyForm(forms.Form):
    """A task of the same project, picked by title, that this task should wait on."""

    depends_on = forms.ChoiceField(label=_("Waits on"))

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["depends_on"].choices = [("", _("Choose a task"))] + [
            (str(pk), title) for pk, title in choices
        ]
