"""Send the webhooks' Celery tasks by name, so modules that schedule work never import tasks."""

from celery import current_app

FAN_OUT_TASK = "webhooks.tasks.fan_out"
DELIVER_TASK = "webhooks.tasks.deliver"


def enqueue_delivery(delivery_id, *, eta=None) -> None:
    """Queue the next attempt of a delivery (at ``eta``, else now)."""
    signature = current_app.signature(DELIVER_TASK, args=[str(delivery_id)])
    if eta is None:
        signature.delay()
    else:
        signature.apply_async(eta=eta)


def fan_out_after_commit(event_ids: list[int]) -> None:
    """The events' committed listener: enqueue their fan-out."""
    current_app.signature(FAN_OUT_TASK, args=[list(event_ids)]).delay()
