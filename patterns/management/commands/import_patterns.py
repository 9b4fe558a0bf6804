"""Create or update patterns from YAML or JSON documents; everything is checked first."""

from django.core.management.base import BaseCommand, CommandError

from nexus_site.exceptions import BaseAppException
from patterns.exchange import import_plan, patterns_import


class Command(BaseCommand):
    help = (
        "Import pattern documents (files, or directories of .yaml/.yml/.json). Every document "
        "is checked first: if any has a problem, all problems are listed with file and path "
        "and nothing is written. Then missing patterns are created and changed definitions "
        "published as new versions; unchanged ones publish nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="FILE_OR_DIR")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report, but write nothing."
        )

    def handle(self, *args, paths, dry_run, **options):
        plan = import_plan(paths)
        if plan.problems:
            for problem in plan.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{len(plan.problems)} problem(s) found; nothing was imported.")
        if not plan.sources:
            raise CommandError("No pattern documents found.")
        try:
            report = patterns_import(plan, dry_run=dry_run)
        except BaseAppException as exc:
            raise CommandError(f"{exc.code}: {exc.message} {exc.details or ''}".strip()) from exc
        for item in report:
            self.stdout.write(f"{item.key:<32} {item.action:<10} v{item.version}")
        if dry_run:
            self.stdout.write("dry run: nothing was written")
