"""Install the system patterns again: create the missing ones, publish changed definitions."""

from django.core.management.base import BaseCommand, CommandError

from patterns.system import SystemPatternError, system_patterns_install


class Command(BaseCommand):
    help = (
        "Create the system patterns that are missing and publish a new version of those whose "
        "shipped definition changed; an unchanged definition publishes nothing."
    )

    def handle(self, *args, **options):
        try:
            report = system_patterns_install()
        except SystemPatternError as exc:
            raise CommandError(str(exc)) from exc
        for item in report:
            self.stdout.write(f"{item.key:<24} {item.action:<10} v{item.version}")
