"""Celery finds ``workspace.tasks``; the tasks live in their sub-domains."""

from workspace.ai_usage.tasks import *  # noqa: F403
from workspace.chat.tasks import *  # noqa: F403
from workspace.documents.tasks import *  # noqa: F403
from workspace.files.tasks import *  # noqa: F403
from workspace.mail.tasks import *  # noqa: F403
