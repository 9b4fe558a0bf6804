"""Demo documents for the demo users: one of each type with a few versions of history, one in
the "Nexus launch" project and one shared with another user. A document that already exists
(by title and owner) is left as it is, so seeding again changes nothing."""

from django.core.management.base import OutputWrapper
from django.db import transaction

from accounts.models import User
from projects.models import Project
from workspace.documents import services
from workspace.documents.models import Document

ANNOUNCEMENT = [
    {"blocks": [{"type": "heading", "level": 1, "text": "Nexus is launching"}]},
    {
        "blocks": [
            {"type": "heading", "level": 1, "text": "Nexus is launching"},
            {"type": "paragraph", "text": "One place for projects, documents, mail and chat."},
        ]
    },
    {
        "blocks": [
            {"type": "heading", "level": 1, "text": "Nexus is launching"},
            {"type": "paragraph", "text": "One place for projects, documents, mail and chat."},
            {"type": "list", "ordered": False, "items": ["Self-hosted", "Seven languages"]},
            {"type": "table", "rows": [["Date", "Event"], ["1 March", "Public launch"]]},
        ]
    },
]
BUDGET = [
    {
        "sheets": [
            {
                "name": "Budget",
                "cells": {
                    "A1": {"value": "Item"},
                    "B1": {"value": "Cost"},
                    "A2": {"value": "Hosting"},
                    "B2": {"value": 1200},
                    "A3": {"value": "Design"},
                    "B3": {"value": 3000},
                },
            }
        ]
    },
    {
        "sheets": [
            {
                "name": "Budget",
                "cells": {
                    "A1": {"value": "Item"},
                    "B1": {"value": "Cost"},
                    "A2": {"value": "Hosting"},
                    "B2": {"value": 1200},
                    "A3": {"value": "Design"},
                    "B3": {"value": 3000},
                    "A4": {"value": "Total"},
                    "B4": {"value": 4200, "formula": "=SUM(B2:B3)"},
                },
            }
        ]
    },
]
DECK = [
    {"slides": [{"title": "Kickoff", "text": "Why we build Nexus", "notes": ""}]},
    {
        "slides": [
            {"title": "Kickoff", "text": "Why we build Nexus", "notes": "Keep it short."},
            {"title": "Plan", "text": "Design, build, launch", "notes": ""},
        ]
    },
]

# title, doc_type, owner, project name, contents (version 1 first), shares {email: permission}
DEMO_DOCUMENTS = (
    ("Launch announcement", "word", "manager@nexus.local", "Nexus launch", ANNOUNCEMENT, {}),
    ("Launch budget", "excel", "manager@nexus.local", None, BUDGET, {"user@nexus.local": "edit"}),
    ("Kickoff deck", "powerpoint", "user@nexus.local", None, DECK, {}),
)


@transaction.atomic
def seed(stdout: OutputWrapper) -> None:
    """Create the demo documents that do not exist yet."""
    users = {user.email: user for user in User.objects.filter(email__endswith="@nexus.local")}
    created = 0
    for title, doc_type, owner_email, project_name, contents, shares in DEMO_DOCUMENTS:
        owner = users.get(owner_email)
        if owner is None or Document.objects.filter(title=title, owner=owner).exists():
            continue
        project = (
            Project.objects.filter(name=project_name, owner=owner).first() if project_name else None
        )
        document = services.document_create(
            actor=owner, title=title, doc_type=doc_type, content=contents[0], project=project
        )
        for content in contents[1:]:
            document = services.document_update(
                actor=owner, document=document, version=document.version, content=content
            )
        for email, permission in shares.items():
            if email in users:
                services.document_share(
                    actor=owner, document=document, user=users[email], permission=permission
                )
        created += 1
    stdout.write(f"Documents: {created} created.")
