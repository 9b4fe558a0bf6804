from django.core.management.base import OutputWrapper


def seed(stdout: OutputWrapper) -> None:
    """Create demo data (idempotent)."""
