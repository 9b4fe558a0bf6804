"""The notifications pages: my notifications (unread or all), mark one read (and open its
object), mark all read. Thin: notifications.selectors reads only the user's own (anyone
else's is 404), notifications.services writes."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import ListView

from accounts.notification_kinds import NotificationDelivery, NotificationKind
from accounts.services import user_notification_preferences_set
from nexus_site.exceptions import NotFoundError
from notifications import emails, selectors, services, wording

UNREAD, ALL = "unread", "all"


def list_url(show: str) -> str:
    return reverse("notifications:list") + ("?show=unread" if show == UNREAD else "")


class NotificationListPage(LoginRequiredMixin, ListView):
    """My notifications, newest first, unread only or all."""

    template_name = "notifications/list.html"
    context_object_name = "notifications"
    paginate_by = 30

    def show(self) -> str:
        return UNREAD if self.request.GET.get("show") == UNREAD else ALL

    def get_queryset(self):
        return selectors.notifications_of(self.request.user, unread=self.show() == UNREAD)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for notification in context["notifications"]:
            notification.sentence = wording.sentence(notification)
            notification.shown_title = notification.title or wording.UNTITLED
        return {**context, "show": self.show()}


class NotificationReadView(LoginRequiredMixin, View):
    """Mark one of my notifications read; with ``open``, go on to its object."""

    http_method_names = ["post"]

    def post(self, request, notification_id):
        try:
            notification = selectors.notification_get(request.user, notification_id)
        except NotFoundError as exc:
            raise Http404 from exc
        services.notification_read(actor=request.user, notification=notification)
        target = notification.url
        if (
            request.POST.get("open")
            and target
            and url_has_allowed_host_and_scheme(
                target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            )
        ):
            return HttpResponseRedirect(target)
        return HttpResponseRedirect(list_url(request.POST.get("show", "")))


class ReadAllView(LoginRequiredMixin, View):
    """Mark every notification of mine read."""

    http_method_names = ["post"]

    def post(self, request):
        marked = services.notifications_read_all(actor=request.user)
        if marked:
            messages.success(request, _("All notifications are marked read."))
        return HttpResponseRedirect(list_url(request.POST.get("show", "")))


# The token is the credential (a signed user and kinds, sent only to that user's address), and
# mail clients' one-click unsubscribe (RFC 8058) posts without a CSRF token or a session.
@method_decorator(csrf_exempt, name="dispatch")
class UnsubscribePage(View):
    """GET: say which e-mails a link stops and ask; POST: stop them (no sign-in needed)."""

    http_method_names = ["get", "post"]
    template_name = "notifications/unsubscribe.html"

    def get(self, request, token):
        return self.answer(request, token, done=False)

    def post(self, request, token):
        return self.answer(request, token, done=True)

    def answer(self, request, token, *, done: bool):
        found = emails.read_unsubscribe_token(token)
        if found is None:
            return render(request, self.template_name, {"invalid": True}, status=404)
        user, kinds = found
        if done:
            never = dict.fromkeys(kinds, NotificationDelivery.NEVER)
            user_notification_preferences_set(user=user, deliveries=never)
        labels = [NotificationKind(kind).label for kind in kinds]
        return render(request, self.template_name, {"done": done, "kind_labels": labels})
