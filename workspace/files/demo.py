"""Demo files for the demo users: a few each, one content uploaded by two users (stored once,
reference count 2), one file in a project and one public link. A file that already exists (by
owner and name) is left as it is, so seeding again changes nothing."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import OutputWrapper
from django.db import transaction

from accounts.models import User
from projects.models import Project
from workspace.files import selectors, services
from workspace.files.models import File

SHARED = b"Nexus brand guide\n\nUse the teal logo on light backgrounds.\n"
PIXEL_PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)
# owner email, file name, content, project name (owned by the same user) or None
DEMO_FILES = (
    ("manager@nexus.local", "brand-guide.txt", SHARED, None),
    ("manager@nexus.local", "launch-budget.csv", b"item,cost\nads,1200\nevent,800\n", None),
    (
        "manager@nexus.local",
        "launch-plan.md",
        b"# Launch plan\n\n1. Beta\n2. Launch\n",
        "Nexus launch",
    ),
    ("user@nexus.local", "brand-guide copy.txt", SHARED, None),
    ("user@nexus.local", "pixel.png", PIXEL_PNG, None),
    ("guest@nexus.local", "hello.txt", b"Hello from the guest.\n", None),
)
PUBLIC_FILE = ("manager@nexus.local", "brand-guide.txt")


def seed(stdout: OutputWrapper) -> None:
    """Create demo data (idempotent)."""
    users = {user.email: user for user in User.objects.filter(email__endswith="@nexus.local")}
    created = 0
    with transaction.atomic():
        for email, name, content, project_name in DEMO_FILES:
            owner = users.get(email)
            if owner is None or File.objects.filter(owner=owner, name=name).exists():
                continue
            project = (
                Project.objects.filter(owner=owner, name=project_name).first()
                if project_name
                else None
            )
            services.file_upload(
                actor=owner, upload=SimpleUploadedFile(name, content), project=project
            )
            created += 1
        owner = users.get(PUBLIC_FILE[0])
        file = File.objects.filter(owner=owner, name=PUBLIC_FILE[1]).first() if owner else None
        if file is not None and selectors.current_link(file) is None:
            link = services.public_link_create(actor=owner, file=file)
            stdout.write(f"Demo public link: /f/{link.token}/")
    stdout.write(f"Demo files: {created} new file(s)")
