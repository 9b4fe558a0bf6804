"""Retention of public links: purge those that stopped working more than
``PUBLIC_LINK_RETENTION_DAYS`` ago (expired, revoked, or used up and created that long ago).
A link that still lets a download through is never purged."""

from django.db.models import F, Q

from nexus_site.retention import Sweep, delete_in_batches, keep_days
from workspace.files.models import PublicLink, valid_links_filter


def expired_links_purge(sweep: Sweep) -> int:
    """Delete, in batches, the links dead for longer than the keep time; return how many."""
    cutoff = sweep.cutoff(keep_days("PUBLIC_LINK_RETENTION_DAYS"))
    if cutoff is None:
        return 0
    dead_long_ago = (
        Q(expires_at__lt=cutoff)
        | Q(revoked_at__lt=cutoff)
        | Q(download_count__gte=F("max_downloads"), created_at__lt=cutoff)
    )
    links = PublicLink.objects.filter(dead_long_ago).exclude(valid_links_filter(sweep.now))
    return delete_in_batches(links, sweep)
