"""The one error an operation raises when it refuses or fails; the command prints its message."""

from django.utils.translation import gettext_lazy as _

from nexus_site.exceptions import BusinessRuleError


class OperationRefused(BusinessRuleError):
    """An operation refused to start, or stopped, and says why; see each raise for what changed."""

    code = "operation_refused"
    default_message = _("The operation was refused.")
