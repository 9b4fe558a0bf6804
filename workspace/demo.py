"""Demo workspace content: files first (documents, mail and chat may attach them)."""

from django.core.management.base import OutputWrapper

from workspace.ai_usage import demo as ai_usage_demo
from workspace.chat import demo as chat_demo
from workspace.documents import demo as documents_demo
from workspace.files import demo as files_demo
from workspace.mail import demo as mail_demo


def seed(stdout: OutputWrapper) -> None:
    files_demo.seed(stdout)
    documents_demo.seed(stdout)
    ai_usage_demo.seed(stdout)
    mail_demo.seed(stdout)
    chat_demo.seed(stdout)
