"""Public links: purged once they stopped working more than the keep time ago; a link that
still works is never purged."""

import datetime

import pytest
from django.utils import timezone

from nexus_site.retention import Sweep
from workspace.files import services
from workspace.files.models import PublicLink
from workspace.files.retention import expired_links_purge
from workspace.tests.files.factories import upload_file

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def link(owner, **changes) -> PublicLink:
    created = services.public_link_create(actor=owner, file=upload_file(owner)).link
    PublicLink.objects.filter(pk=created.pk).update(**changes)
    return created


def test_links_dead_for_longer_than_the_keep_time_go(user, settings):
    settings.PUBLIC_LINK_RETENTION_DAYS = 30
    now = timezone.now()
    expired = link(user, expires_at=now - 31 * DAY)
    revoked = link(user, revoked_at=now - 31 * DAY)
    used_up = link(user, max_downloads=1, download_count=1, created_at=now - 31 * DAY)
    recently_expired = link(user, expires_at=now - 29 * DAY)
    recently_used_up = link(user, max_downloads=1, download_count=1)
    valid = link(user, expires_at=now + DAY, created_at=now - 400 * DAY)
    forever = link(user, created_at=now - 400 * DAY)

    assert expired_links_purge(Sweep(now=now)) == 3

    kept = set(PublicLink.objects.values_list("pk", flat=True))
    assert kept == {recently_expired.pk, recently_used_up.pk, valid.pk, forever.pk}
    assert not kept & {expired.pk, revoked.pk, used_up.pk}


def test_zero_days_keeps_dead_links_forever(user, settings):
    settings.PUBLIC_LINK_RETENTION_DAYS = 0
    link(user, expires_at=timezone.now() - 3650 * DAY)

    assert expired_links_purge(Sweep()) == 0
    assert PublicLink.objects.count() == 1
