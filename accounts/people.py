"""The people picker's backend: whom a user may find by name or e-mail, and the JSON page at
``/accounts/people/?q=`` that the picker (static/js/people-picker.js) asks.

Whom a user may find: the people who take part (an owner or member relationship) in something
the user can see in the relations graph (a project, a room, a document, and what lies below
them), the user themself, and an active user whose e-mail matches the query exactly. An
administrator finds every active user. Nothing else: the picker never lists the user table.
The reach is the graph's, so this module reads it through relations.access, as every selector
that filters on behalf of a user does.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db.models import Q, QuerySet
from django.http import JsonResponse
from django.views import View

from nexus_site.exceptions import BaseAppException
from relations.access import people_reach_filter

MAX_RESULTS = 10
MAX_QUERY = 100


def is_email(text: str) -> bool:
    try:
        validate_email(text)
    except DjangoValidationError:
        return False
    return True


def people_visible_to(user, query: str) -> QuerySet:
    """Return at most ``MAX_RESULTS`` active people ``user`` may find whose name or e-mail
    contains ``query``, by name; an exact e-mail finds its active owner whoever they are."""
    users = get_user_model().objects.filter(is_active=True)
    query = (query or "").strip()[:MAX_QUERY]
    if not getattr(user, "is_authenticated", False) or not user.is_active or not query:
        return users.none()
    words = Q()
    for word in query.split():
        words &= (
            Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
        )
    found = words & people_reach_filter(user)
    if is_email(query):
        found |= Q(email__iexact=query)
    return (
        users.filter(found)
        .only("id", "email", "first_name", "last_name")
        .order_by("first_name", "last_name", "email")[:MAX_RESULTS]
    )


def person_for(user, value: str):
    """Return the one active person ``value`` names for ``user`` (an exact e-mail, or an id
    the picker wrote among those ``user`` may find), or None."""
    value = (value or "").strip()
    if not value or not getattr(user, "is_authenticated", False):
        return None
    users = get_user_model().objects.filter(is_active=True)
    if is_email(value):
        return users.filter(email__iexact=value).first()
    try:
        return users.filter(people_reach_filter(user), pk=value).first()
    except (DjangoValidationError, ValueError, BaseAppException):
        return None


class PeopleView(LoginRequiredMixin, View):
    """``GET /accounts/people/?q=`` -> ``{"results": [{"id", "name", "email"}]}``."""

    http_method_names = ["get"]

    def get(self, request):
        try:
            people = list(people_visible_to(request.user, request.GET.get("q", "")))
        except BaseAppException as exc:  # a reach too large to read: say so, never a 500
            return JsonResponse(
                {"error": {"code": exc.code, "message": str(exc.message), "details": {}}},
                status=exc.status,
            )
        return JsonResponse(
            {
                "results": [
                    {"id": str(person.pk), "name": person.full_name, "email": person.email}
                    for person in people
                ]
            }
        )
