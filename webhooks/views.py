"""The webhooks pages: my webhooks and incoming URLs, a new webhook (its secret shown once, on
its page), a webhook with its delivery log (redeliver, ping, turn on or off, delete), a new
incoming URL (shown once) and its revocation. Thin: selectors read only the user's own
(anyone else's is 404), services write."""

from abc import ABC, abstractmethod

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View

from nexus_site.exceptions import BaseAppException, NotFoundError, error_text
from patterns.selectors import patterns_visible_to
from projects.selectors import projects_visible_to
from webhooks import selectors, services
from webhooks.forms import IncomingForm, SubscriptionForm, add_service_errors
from webhooks.wording import disabled_text

SHOWN_ONCE = "webhooks_shown_once"
DELIVERIES_PER_PAGE = 30


def own_subscription(request, webhook_id):
    try:
        return selectors.subscription_get(request.user, webhook_id)
    except NotFoundError as exc:
        raise Http404 from exc


def show_once(request, key: str, values: dict) -> None:
    """Keep a secret in the session for exactly one page view."""
    request.session[SHOWN_ONCE] = {"key": key, **values}


def take_shown_once(request, key: str) -> dict | None:
    shown = request.session.get(SHOWN_ONCE)
    if not shown or shown.get("key") != key:
        return None
    del request.session[SHOWN_ONCE]
    return shown


class WebhookListPage(LoginRequiredMixin, View):
    def get(self, request):
        subscriptions = list(selectors.subscriptions_of(request.user))
        for subscription in subscriptions:
            subscription.disabled_text = disabled_text(subscription)
        return render(
            request,
            "webhooks/list.html",
            {
                "subscriptions": subscriptions,
                "incoming": list(selectors.incoming_of(request.user)),
                "created_hook": take_shown_once(request, "incoming"),
            },
        )


class WebhookCreatePage(LoginRequiredMixin, View):
    def form(self, request, data=None):
        projects = projects_visible_to(request.user).order_by("name")[:200]
        return SubscriptionForm(data, projects=projects)

    def get(self, request):
        return render(request, "webhooks/form.html", {"form": self.form(request)})

    def post(self, request):
        form = self.form(request, request.POST)
        if form.is_valid():
            try:
                subscription = services.subscription_create(actor=request.user, **form.cleaned_data)
            except BaseAppException as exc:
                add_service_errors(form, exc)
            else:
                show_once(request, str(subscription.pk), {"secret": subscription.secret})
                return HttpResponseRedirect(reverse("webhooks:detail", args=[subscription.pk]))
        return render(request, "webhooks/form.html", {"form": form}, status=422)


class WebhookDetailPage(LoginRequiredMixin, View):
    def get(self, request, webhook_id):
        subscription = own_subscription(request, webhook_id)
        page = Paginator(selectors.deliveries_of(subscription), DELIVERIES_PER_PAGE).get_page(
            request.GET.get("page")
        )
        shown = take_shown_once(request, str(subscription.pk))
        return render(
            request,
            "webhooks/detail.html",
            {
                "subscription": subscription,
                "disabled_text": disabled_text(subscription),
                "deliveries": page,
                "secret": shown["secret"] if shown else "",
            },
        )


class WebhookActionView(LoginRequiredMixin, View, ABC):
    """POST an action on one of my webhooks, then back to its page (a refusal flashed there)."""

    http_method_names = ["post"]

    def post(self, request, webhook_id, **kwargs):
        subscription = own_subscription(request, webhook_id)
        try:
            self.act(request, subscription, **kwargs)
        except NotFoundError as exc:
            raise Http404 from exc
        except BaseAppException as exc:
            messages.error(request, error_text(exc))
        return HttpResponseRedirect(reverse("webhooks:detail", args=[subscription.pk]))

    @abstractmethod
    def act(self, request, subscription, **kwargs) -> None:
        """Do the action (a service call) and flash what happened."""


class WebhookActiveView(WebhookActionView):
    def act(self, request, subscription) -> None:
        active = request.POST.get("active") == "1"
        services.subscription_update(
            actor=request.user, subscription=subscription, is_active=active
        )
        messages.success(request, _("The webhook is on.") if active else _("The webhook is off."))


class WebhookPingView(WebhookActionView):
    def act(self, request, subscription) -> None:
        services.subscription_ping(actor=request.user, subscription=subscription)
        messages.success(request, _("A test delivery is on its way."))


class RedeliverView(WebhookActionView):
    def act(self, request, subscription, delivery_id) -> None:
        delivery = selectors.delivery_get(subscription, delivery_id)
        services.delivery_redeliver(actor=request.user, delivery=delivery)
        messages.success(request, _("The delivery is sent again."))


class WebhookDeleteView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, webhook_id):
        subscription = own_subscription(request, webhook_id)
        services.subscription_delete(actor=request.user, subscription=subscription)
        messages.success(request, _("The webhook is deleted."))
        return HttpResponseRedirect(reverse("webhooks:list"))


class IncomingCreatePage(LoginRequiredMixin, View):
    def form(self, request, data=None):
        patterns = patterns_visible_to(request.user).filter(is_active=True).order_by("name")
        return IncomingForm(data, patterns=patterns[:500])

    def get(self, request):
        return render(request, "webhooks/incoming_form.html", {"form": self.form(request)})

    def post(self, request):
        form = self.form(request, request.POST)
        if form.is_valid():
            try:
                hook, token = services.incoming_create(actor=request.user, **form.cleaned_data)
            except BaseAppException as exc:
                add_service_errors(form, exc)
            else:
                url = request.build_absolute_uri(reverse("incoming-webhooks:call", args=[token]))
                show_once(
                    request,
                    "incoming",
                    {"id": str(hook.pk), "url": url, "signing_secret": hook.signing_secret},
                )
                return HttpResponseRedirect(reverse("webhooks:list"))
        return render(request, "webhooks/incoming_form.html", {"form": form}, status=422)


class IncomingRevokeView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, hook_id):
        try:
            hook = selectors.incoming_get(request.user, hook_id)
        except NotFoundError as exc:
            raise Http404 from exc
        services.incoming_revoke(actor=request.user, hook=hook)
        messages.success(request, _("The incoming webhook URL is revoked."))
        return HttpResponseRedirect(reverse("webhooks:list"))
