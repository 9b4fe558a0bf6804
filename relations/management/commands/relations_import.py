"""Read relationships from JSON lines; good rows are kept, bad rows are reported."""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from nexus_site.exceptions import BaseAppException
from relations import services
from relations.management.progress import Progress
from relations.nodes import parse_node


class Command(BaseCommand):
    help = (
        "Create relationships from a JSON-lines file (source, type, target, metadata). Every row "
        "is validated like an API write; bad rows are reported and skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="File to read, or - for stdin.")

    def handle(self, *args, path: str, **options):
        source = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
        progress = Progress("imported", stream=sys.stderr)
        created, bad = 0, 0
        try:
            for number, line in enumerate(source, start=1):
                if not line.strip():
                    continue
                problem = self.import_line(line)
                if problem is None:
                    created += 1
                else:
                    bad += 1
                    self.stderr.write(f"line {number}: {problem}")
                progress.advance()
        finally:
            if source is not sys.stdin:
                source.close()
        progress.finish()
        self.stdout.write(f"created {created}, rejected {bad}")
        if bad:
            raise CommandError(f"{bad} row(s) rejected")

    @staticmethod
    def import_line(line: str) -> str | None:
        """Create the relationship in ``line``; return why not, or None on success."""
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            return f"not JSON ({exc.msg})"
        if not isinstance(row, dict):
            return "not a JSON object"
        try:
            services.relationship_record(
                source=parse_node(row.get("source"), field="source"),
                target=parse_node(row.get("target"), field="target"),
                type=str(row.get("type", "")),
                metadata=row.get("metadata") if isinstance(row.get("metadata"), dict) else {},
            )
        except BaseAppException as exc:
            return f"{exc.code}: {exc.message} {exc.details or ''}".strip()
        return None
