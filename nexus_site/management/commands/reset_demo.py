"""Empty a development or embedded instance and load the demo data again."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils.translation import gettext as _

from nexus_site.operations.errors import OperationRefused
from nexus_site.operations.media import media_root
from nexus_site.operations.reset import demo_reset, refuse_production


class Command(BaseCommand):
    help = (
        "Delete every row of the database, every file under MEDIA_ROOT and the cache, then load "
        "the demo data (seed_demo). Refuses a production instance (DJANGO_DEBUG off on "
        "PostgreSQL); asks first unless --no-input."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation.",
        )

    def handle(self, *args, interactive: bool = True, **options) -> None:
        try:
            refuse_production()
            if interactive and not self.confirmed():
                raise CommandError(_("Reset cancelled. Nothing was changed."))
            demo_reset(stdout=self.stdout)
        except OperationRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(_("The demo instance was reset.")))

    def confirmed(self) -> bool:
        question = _(
            "This deletes every row of the database %(database)s, every file under %(media)s "
            "and the cache, then loads the demo data. Type 'yes' to continue: "
        ) % {"database": connection.settings_dict["NAME"], "media": media_root()}
        return input(question).strip().lower() == "yes"
