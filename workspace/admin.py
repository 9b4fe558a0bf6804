"""Staff screens of the workspace, one module per sub-domain."""

from workspace.ai_usage import admin as ai_usage_admin  # noqa: F401
from workspace.chat import admin as chat_admin  # noqa: F401
from workspace.documents import admin as documents_admin  # noqa: F401
from workspace.files import admin as files_admin  # noqa: F401
from workspace.mail import admin as mail_admin  # noqa: F401
