"""The approval pages: the approvals waiting for me, and one approval's "Approve / Reject
with a comment" form. They write through ``patterns.signals`` like the API, so the page and
``POST executions/{id}/signals/approval/`` decide alike."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django.views import View

from nexus_site.exceptions import BaseAppException, ValidationError, error_text
from patterns import signals
from patterns.steps.signals import APPROVAL_SIGNAL, APPROVE, MAX_COMMENT, REJECT


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[(APPROVE, _("Approve")), (REJECT, _("Reject"))])
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def deadline_of(run) -> object:
    return parse_datetime((run.output or {}).get("deadline", "")) if run.output else None


class ApprovalListPage(LoginRequiredMixin, View):
    def get(self, request):
        waiting = [
            {"run": run, "deadline": deadline_of(run)}
            for run in signals.approvals_waiting_for(request.user)
        ]
        return render(request, "patterns/approvals.html", {"waiting": waiting})


class ApprovalPage(LoginRequiredMixin, View):
    template_name = "patterns/approval.html"

    def step_or_404(self, request, execution_id, step_id):
        run = signals.waiting_step_for(request.user, execution_id, step_id)
        if run is None or run.type != "approval.request":
            raise Http404
        return run

    def show(self, request, run, form, status=200):
        context = {
            "run": run,
            "execution": run.execution,
            "message": (run.output or {}).get("message", ""),
            "deadline": deadline_of(run),
            "form": form,
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, execution_id, step_id):
        return self.show(request, self.step_or_404(request, execution_id, step_id), DecisionForm())

    def post(self, request, execution_id, step_id):
        run = self.step_or_404(request, execution_id, step_id)
        form = DecisionForm(request.POST)
        if not form.is_valid():
            return self.show(request, run, form, status=422)
        try:
            signals.execution_signal(
                actor=request.user,
                execution_id=execution_id,
                name=APPROVAL_SIGNAL,
                payload=form.cleaned_data,
            )
        except ValidationError as exc:
            for field, problems in (exc.details or {}).items():
                form.add_error(field if field in form.fields else None, problems)
            return self.show(request, run, form, status=422)
        except BaseAppException as exc:
            messages.error(request, error_text(exc))
            return HttpResponseRedirect(reverse("patterns:approvals"))
        if form.cleaned_data["decision"] == APPROVE:
            messages.success(request, _("Approved. The run goes on."))
        else:
            messages.success(request, _("Rejected. The run stops there."))
        return HttpResponseRedirect(reverse("patterns:approvals"))
