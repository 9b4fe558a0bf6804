"""Demo relationships between the demo users (projects and documents add theirs later)."""

from django.core.management.base import OutputWrapper

from accounts.models import User
from nexus_site.definitions.enums import RelationType
from relations import services
from relations.models import Relationship
from relations.nodes import node_of

DEMO_LINKS = (
    ("admin@nexus.local", "manager@nexus.local"),
    ("manager@nexus.local", "user@nexus.local"),
    ("user@nexus.local", "guest@nexus.local"),
)


def seed(stdout: OutputWrapper) -> None:
    """Link the demo colleagues, once."""
    users = {user.email: user for user in User.objects.filter(email__endswith="@nexus.local")}
    created = 0
    for left, right in DEMO_LINKS:
        if left not in users or right not in users:
            continue
        source, target = sorted([node_of(users[left]), node_of(users[right])], key=str)
        exists = Relationship.objects.filter(
            source_id=source.id, target_id=target.id, type=RelationType.LINKED
        ).exists()
        if not exists:
            services.relationship_record(source=source, target=target, type=RelationType.LINKED)
            created += 1
    stdout.write(f"Demo graph: {created} new link(s) between demo users.")
