"""Demo workspace content: files first (documents and AI usage may refer to them)."""

from django.core.management.base import OutputWrapper

from workspace.ai_usage import demo as ai_usage_demo
from workspace.documents import demo as documents_demo
from workspace.files import demo as files_demo


def seed(stdout: OutputWrapper) -> None:
    files_demo.seed(stdout)
    documents_demo.seed(stdout)
    ai_usage_demo.seed(stdout)
