"""Demo accounts, one per role; the admin one is the embedded default's login."""

from django.core.management.base import OutputWrapper
from django.db import transaction

from accounts import services
from accounts.models import User
from nexus_site.definitions.enums import Role

DEMO_PASSWORD = "nexus-demo-2026"
DEMO_USERS = (
    ("admin@nexus.local", Role.ADMIN, "Ada", "Admin"),
    ("manager@nexus.local", Role.MANAGER, "Max", "Manager"),
    ("user@nexus.local", Role.USER, "Uma", "User"),
    ("guest@nexus.local", Role.GUEST, "Gus", "Guest"),
)


@transaction.atomic
def seed(stdout: OutputWrapper) -> None:
    """Create the demo users that are missing and print every demo login."""
    for email, role, first_name, last_name in DEMO_USERS:
        if not User.objects.filter(email__iexact=email).exists():
            services.user_create(
                email=email,
                password=DEMO_PASSWORD,
                first_name=first_name,
                last_name=last_name,
                role=role,
                email_verified=True,
            )
    stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for email, role, _first, _last in DEMO_USERS:
        stdout.write(f"  {role:<8} {email}")
    stdout.write(f"Admin login: admin@nexus.local / {DEMO_PASSWORD}  ->  /admin/")
