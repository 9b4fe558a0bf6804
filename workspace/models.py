"""The workspace's models live in its sub-domains; Django finds them through this module."""

from workspace.ai_usage.models import *  # noqa: F403
from workspace.chat.models import *  # noqa: F403
from workspace.documents.models import *  # noqa: F403
from workspace.files.models import *  # noqa: F403
from workspace.mail.models import *  # noqa: F403
from workspace.task_attachments.models import *  # noqa: F403
