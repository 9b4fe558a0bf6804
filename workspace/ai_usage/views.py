"""The AI usage dashboard at /ai/: cost per day, cost by model, latency by model, top projects
and budget status over a date range, drawn as inline SVG on the server. Reads through the same
selectors and statistics as the API, so it shows only what the user may see."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.utils import formats, timezone
from django.utils.translation import get_language_bidi
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from workspace.ai_usage import charts, selectors, stats

DEFAULT_DAYS = 30
MAX_DAYS = 366  # a year, leap day included: the page draws one column per day
EARLIEST = date(2000, 1, 1)  # no AI call is older; sane bounds keep date arithmetic in range
TOP_PROJECTS = 10


def today() -> date:
    return timezone.now().astimezone(UTC).date()


def latest_allowed() -> date:
    return today() + timedelta(days=MAX_DAYS)


class RangeForm(forms.Form):
    """A range of at most MAX_DAYS days between EARLIEST and a year from today; an open end
    defaults to today, an open start to DEFAULT_DAYS before the end."""

    start = forms.DateField(label=_("From"), required=False)
    end = forms.DateField(label=_("To"), required=False)

    def clean_start(self):
        return self.within_bounds(self.cleaned_data.get("start"))

    def clean_end(self):
        return self.within_bounds(self.cleaned_data.get("end"))

    def within_bounds(self, day: date | None) -> date | None:
        if day is not None and not EARLIEST <= day <= latest_allowed():
            raise forms.ValidationError(
                _("Choose a date between %(earliest)s and %(latest)s.")
                % {
                    "earliest": formats.date_format(EARLIEST, "SHORT_DATE_FORMAT"),
                    "latest": formats.date_format(latest_allowed(), "SHORT_DATE_FORMAT"),
                }
            )
        return day

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end") or today()
        if start and end < start:
            raise forms.ValidationError(_("The end must not be before the start."))
        if start and (end - start).days + 1 > MAX_DAYS:
            raise forms.ValidationError(
                _("Choose at most %(days)d days at a time.") % {"days": MAX_DAYS}
            )
        return data


def money(value: Decimal) -> str:
    return formats.number_format(value, decimal_pos=4)


def tick(value: float, decimals: int) -> str:
    """Return an axis tick's figure in the active language's number format."""
    return formats.number_format(Decimal(str(value)), decimal_pos=decimals)


def milliseconds(value: float | None) -> str:
    if value is None:
        return "—"
    return formats.number_format(Decimal(str(value)).quantize(Decimal(1), ROUND_HALF_UP))


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


class AIDashboardPage(LoginRequiredMixin, TemplateView):
    """What the user's visible AI usage cost, how fast it was, and where budgets stand."""

    template_name = "workspace/ai_usage/dashboard.html"

    def chosen_range(self, form: RangeForm) -> tuple[date, date]:
        end = today()
        start = end - timedelta(days=DEFAULT_DAYS - 1)
        if form.is_valid():
            end = form.cleaned_data.get("end") or end
            start = form.cleaned_data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        return start, end

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, rtl = self.request.user, get_language_bidi()
        form = RangeForm(self.request.GET or None)
        start, end = self.chosen_range(form)
        span = selectors.TimeRange(
            datetime.combine(start, time.min, tzinfo=UTC),
            datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC),
        )

        def figures(group_by: str) -> dict:
            return stats.interaction_stats(user, group_by=group_by, time_range=span)

        by_day, by_model, by_project = figures("day"), figures("model"), figures("project")
        cost_by_day = {row["key"]: row["cost"] for row in by_day["groups"]}
        day_data = [
            charts.Datum(
                label=formats.date_format(day, "M j"),
                value=float(cost_by_day.get(day.isoformat(), 0)),
                display=money(cost_by_day.get(day.isoformat(), Decimal(0))),
            )
            for day in days_between(start, end)
        ]
        models = by_model["groups"]
        projects = [row for row in by_project["groups"] if row["key"] is not None][:TOP_PROJECTS]
        context.update(
            form=form,
            start=start,
            end=end,
            earliest=EARLIEST,
            latest=latest_allowed(),
            totals=by_day["totals"],
            total_cost=money(by_day["totals"]["cost"]),
            has_data=by_day["totals"]["count"] > 0,
            day_chart=charts.columns(day_data, rtl=rtl, tick_label=tick),
            day_label_every=max(1, len(day_data) // 10),
            model_chart=charts.horizontal_bars(
                [
                    charts.Datum(row["key"], float(row["cost"]), money(row["cost"]))
                    for row in models
                ],
                rtl=rtl,
                tick_label=tick,
            ),
            latency_chart=charts.horizontal_bars(
                [
                    charts.Datum(row["key"], row[name] or 0, milliseconds(row[name]), series)
                    for row in models
                    for series, name in enumerate(("p50_latency_ms", "p95_latency_ms"))
                ],
                series=2,
                rtl=rtl,
                tick_label=tick,
            ),
            project_chart=charts.horizontal_bars(
                [
                    charts.Datum(row["label"], float(row["cost"]), money(row["cost"]))
                    for row in projects
                ],
                rtl=rtl,
                tick_label=tick,
            ),
            models=models,
            projects=projects,
            budgets=selectors.budget_statuses(user),
        )
        return context
