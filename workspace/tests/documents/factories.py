import factory

from accounts.tests.factories import UserFactory
from workspace.documents import services
from workspace.documents.models import Document

WORD = {
    "blocks": [
        {"type": "heading", "level": 1, "text": "Plan"},
        {"type": "paragraph", "text": "First draft."},
    ]
}
EXCEL = {
    "sheets": [
        {
            "name": "Budget",
            "cells": {
                "A1": {"value": 2},
                "A2": {"value": 3},
                "A3": {"value": None, "formula": "=A1+A2"},
            },
        }
    ]
}
POWERPOINT = {"slides": [{"title": "Hello", "text": "Welcome", "notes": "Smile"}]}
CONTENT = {"word": WORD, "excel": EXCEL, "powerpoint": POWERPOINT}


class DocumentFactory(factory.django.DjangoModelFactory):
    """A document made by document_create: version 1, its owner edge, its first version."""

    class Meta:
        model = Document

    title = factory.Sequence(lambda n: f"Document {n}")
    doc_type = "word"
    owner = factory.SubFactory(UserFactory)
    project = None

    @classmethod
    def _create(cls, model_class, *, owner, title, doc_type, project=None, content=None):
        if content is None:
            content = CONTENT[doc_type]
        return services.document_create(
            actor=owner, title=title, doc_type=doc_type, content=content, project=project
        )


def share(document, user, permission="view", expires_at=None):
    """Share ``document`` with ``user`` by its owner."""
    return services.document_share(
        actor=document.owner,
        document=document,
        user=user,
        permission=permission,
        expires_at=expires_at,
    )
