"""Celery tasks."""

__all__: list[str] = []
