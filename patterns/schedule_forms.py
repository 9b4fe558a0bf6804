"""The form of the schedule pages: when a schedule runs (every N minutes or a crontab in UTC) and
whether it runs now. The input is asked by the pattern's own run form (PatternInputForm).

The form only shapes the answers; pattern_schedule_save decides the rules (exactly one timing,
a valid crontab, input matching the schema), and its refusals are put back on these fields.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from nexus_site.exceptions import BaseAppException
from patterns.forms import PatternInputForm
from patterns.schedules import Timing

MAX_EVERY_MINUTES = 525_600  # a year: longer is a crontab expression
CRONTAB_MAX_LENGTH = 200
INPUT_PREFIX = "input"


class ScheduleForm(forms.Form):
    every_minutes = forms.IntegerField(
        label=_("Every N minutes"),
        min_value=1,
        max_value=MAX_EVERY_MINUTES,
        required=False,
        help_text=_("Run at this interval; leave empty to use a crontab expression."),
    )
    crontab = forms.CharField(
        label=_("Crontab expression"),
        required=False,
        max_length=CRONTAB_MAX_LENGTH,
        widget=forms.TextInput(attrs={"dir": "ltr", "spellcheck": "false"}),
        help_text=_(
            'Five fields in UTC: minute hour day month weekday. "0 7 * * 1-5": at 07:00 on '
            'weekdays; "*/30 * * * *": every half hour; "0 0 1 * *": on the first of the month.'
        ),
    )
    enabled = forms.BooleanField(
        label=_("Running"),
        required=False,
        initial=True,
        help_text=_("Untick to pause the schedule; it is kept with its timing."),
    )

    @staticmethod
    def initial_of(timing: Timing, enabled: bool) -> dict:
        return {
            "every_minutes": timing.every_minutes,
            "crontab": timing.crontab,
            "enabled": enabled,
        }

    def add_service_errors(self, exc: BaseAppException, input_form: PatternInputForm) -> None:
        """Put a refusal of pattern_schedule_save beside the fields it names."""
        details = exc.details or {}
        if not details:
            self.add_error(None, str(exc.message))
        for name, problems in details.items():
            problems = problems if isinstance(problems, list) else [problems]
            if name == "input" and all(isinstance(problem, dict) for problem in problems):
                input_form.add_input_problems(problems)
                continue
            for problem in problems:
                self.add_error(name if name in self.fields else None, str(problem))
