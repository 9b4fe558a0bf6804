"""Celery tasks of documents: just another interface that calls a service."""

from celery import shared_task

from workspace.documents import services

__all__ = ["purge_document_trash"]


@shared_task(name="workspace.documents.tasks.purge_document_trash")
def purge_document_trash() -> int:
    """Purge the documents past their time in the trash (idempotent); return how many."""
    return services.document_trash_purge()
