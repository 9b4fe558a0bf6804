"""Stream every relationship as JSON lines."""

import json
import sys

from django.core.management.base import BaseCommand

from relations.management.progress import Progress
from relations.models import Relationship


class Command(BaseCommand):
    help = "Write every relationship as one JSON object per line (to a file or stdout)."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="File to write; stdout when left out.")

    def handle(self, *args, output: str | None = None, **options):
        rows = Relationship.objects.select_related("source_type", "target_type").order_by(
            "created_at", "id"
        )
        progress = Progress("exported", rows.count(), stream=sys.stderr)
        target = open(output, "w", encoding="utf-8") if output else self.stdout  # noqa: SIM115
        try:
            for relationship in rows.iterator(chunk_size=5_000):
                line = {
                    "source": relationship.source_node,
                    "type": relationship.type,
                    "target": relationship.target_node,
                    "metadata": relationship.metadata,
                }
                target.write(json.dumps(line, sort_keys=True) + "\n")
                progress.advance()
        finally:
            if output:
                target.close()
        progress.finish()
