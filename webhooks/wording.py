"""Sentences about webhooks shown to people, in the reader's language."""

from django.utils.translation import gettext, ngettext

from webhooks.delivery import FAILED_DELIVERIES


def disabled_text(subscription) -> str:
    """Say why a subscription is off ("" while it is on)."""
    if subscription.is_active:
        return ""
    if subscription.disabled_reason == FAILED_DELIVERIES:
        count = subscription.consecutive_failures
        return ngettext(
            "Turned off automatically after %(count)d failed delivery in a row.",
            "Turned off automatically after %(count)d failed deliveries in a row.",
            count,
        ) % {"count": count}
    return gettext("Turned off by its owner.")
