"""What a personal access token may reach: scopes ``<app>:read`` and ``<app>:write`` per API app.

An API endpoint belongs to an app by its URL namespace (``API_NAMESPACE_APPS``), or by a
``personal_token_scope`` attribute on its view, which wins: a view sets it to an app to
place itself, or to None to refuse personal tokens altogether (the token endpoints, password
change, logout). A namespace that is not listed refuses them too, so a new API is closed to
personal tokens until it is placed here. Safe methods need read, every other method write;
write includes read.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS


class ScopeApp(models.TextChoices):
    ACCOUNTS = "accounts", _("Your profile")
    PROJECTS = "projects", _("Projects and tasks")
    RELATIONS = "relations", _("Relationship graph")
    WORKSPACE = "workspace", _("Documents, files, mail, chat and AI usage")
    PATTERNS = "patterns", _("Patterns and executions")
    EVENTS = "events", _("Event log")
    COMMENTS = "comments", _("Comments")
    SEARCH = "search", _("Search")
    NOTIFICATIONS = "notifications", _("Notifications")
    WEBHOOKS = "webhooks", _("Webhooks")


class ScopeLevel(models.TextChoices):
    READ = "read", _("Read")
    WRITE = "write", _("Read and write")


# The URL namespaces of /api/v1/ and the app whose scopes reach them. Absent on purpose:
# accounts-api (its views say for themselves: only the own profile is reachable) and the staff
# API, accounts-admin-api (staff act there with their session or JWT).
API_NAMESPACE_APPS: dict[str, str] = {
    "projects-api": ScopeApp.PROJECTS,
    "relations-api": ScopeApp.RELATIONS,
    "documents-api": ScopeApp.WORKSPACE,
    "files-api": ScopeApp.WORKSPACE,
    "ai_usage-api": ScopeApp.WORKSPACE,
    "mail-api": ScopeApp.WORKSPACE,
    "chat-api": ScopeApp.WORKSPACE,
    "task-attachments-api": ScopeApp.WORKSPACE,
    "patterns-api": ScopeApp.PATTERNS,
    "events": ScopeApp.EVENTS,
    "comments-api": ScopeApp.COMMENTS,
    "search-api": ScopeApp.SEARCH,
    "notifications-api": ScopeApp.NOTIFICATIONS,
    "webhooks-api": ScopeApp.WEBHOOKS,
}

UNPLACED = object()


def scope_name(app: str, level: str) -> str:
    return f"{app}:{level}"


def all_scopes() -> list[str]:
    """Return every scope a token may hold, app by app, read before write."""
    return [scope_name(app, level) for app in ScopeApp.values for level in ScopeLevel.values]


def scope_choices() -> list[tuple[str, str]]:
    return [
        (scope_name(app, level), f"{app_label}: {level_label}")
        for app, app_label in ScopeApp.choices
        for level, level_label in ScopeLevel.choices
    ]


def normalized_scopes(scopes) -> list[str]:
    """Return ``scopes`` without repeats, in the order of ``all_scopes``."""
    wanted = set(scopes)
    return [scope for scope in all_scopes() if scope in wanted]


def unknown_scopes(scopes) -> list[str]:
    known = set(all_scopes())
    return sorted({str(scope) for scope in scopes} - known)


def endpoint_app(view, request) -> str | None:
    """Return the app whose scopes reach ``view``, or None when personal tokens may not."""
    declared = getattr(view, "personal_token_scope", UNPLACED)
    if declared is not UNPLACED:
        return declared
    match = getattr(request, "resolver_match", None)
    return API_NAMESPACE_APPS.get(match.namespace) if match is not None else None


def required_scope(app: str, method: str) -> str:
    return scope_name(app, ScopeLevel.READ if method in SAFE_METHODS else ScopeLevel.WRITE)


def scopes_allow(scopes, required: str) -> bool:
    """Return whether a token holding ``scopes`` has ``required`` (write includes read)."""
    app, level = required.split(":", 1)
    granted = set(scopes)
    if scope_name(app, ScopeLevel.WRITE) in granted:
        return True
    return level == ScopeLevel.READ and scope_name(app, ScopeLevel.READ) in granted
