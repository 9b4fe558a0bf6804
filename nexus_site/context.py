"""Request context (platform source and language) that services can read without a request."""

from contextvars import ContextVar

from nexus_site.definitions.enums import Source

current_source: ContextVar[str] = ContextVar("current_source", default=Source.CUSTOMER)
current_language: ContextVar[str] = ContextVar("current_language", default="en")


def get_source() -> str:
    """Return the platform of the current request: ``admin`` or ``customer``."""
    return current_source.get()


def get_language() -> str:
    """Return the language code of the current request."""
    return current_language.get()
