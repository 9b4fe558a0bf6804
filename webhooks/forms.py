"""The forms of the webhooks pages; the services decide the rules, the forms parse."""

from django import forms
from django.utils.translation import gettext_lazy as _

from nexus_site.definitions.enums import EventType
from nexus_site.exceptions import BaseAppException
from webhooks.matching import SUBSCRIBABLE_TYPES

EVENT_TYPE_CHOICES = [
    (value, label) for value, label in EventType.choices if value in SUBSCRIBABLE_TYPES
]


def add_service_errors(form: forms.Form, exc: BaseAppException) -> None:
    """Put a service's refusal on ``form``: each detail on its field, the message on top."""
    placed = False
    for name, problems in exc.details.items():
        if name in form.fields:
            for problem in problems if isinstance(problems, list) else [problems]:
                form.add_error(name, str(problem))
            placed = True
    if not placed:
        form.add_error(None, str(exc.message))


class SubscriptionForm(forms.Form):
    url = forms.CharField(
        label=_("URL"),
        max_length=2000,
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/hooks/nexus"}),
        help_text=_("We POST each event here as JSON, signed with the webhook's secret."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        label=_("Events"), choices=EVENT_TYPE_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    scope = forms.ChoiceField(
        label=_("Scope"),
        required=False,
        help_text=_("Only events about this project and everything in it."),
    )
    with_descendants = forms.BooleanField(
        label=_("Include everything under it"), required=False, initial=True
    )

    def __init__(self, *args, projects=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = [
            ("", _("Everything I may see")),
            *((f"projects.project:{project.pk}", project.name) for project in projects),
        ]


class IncomingForm(forms.Form):
    pattern = forms.ChoiceField(label=_("Pattern"))
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    signed = forms.BooleanField(
        label=_("Require a signature"),
        required=False,
        help_text=_("Callers must also send X-Nexus-Signature made with a signing secret."),
    )

    def __init__(self, *args, patterns=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pattern"].choices = [(p.key, p.name) for p in patterns]
