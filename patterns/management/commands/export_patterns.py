"""Write patterns, with their current definitions, as YAML or JSON documents."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from patterns.exchange import EXTENSIONS, FORMATS, dump, pattern_document
from patterns.models import Pattern


class Command(BaseCommand):
    help = (
        "Export patterns (all, or the KEYs given) with the definition of their current version. "
        "--output DIR writes one <key>.<format> file per pattern; --output FILE (.yaml, .yml, "
        ".json) writes them all as a list; without --output they go to stdout."
    )

    def add_arguments(self, parser):
        parser.add_argument("keys", nargs="*", metavar="KEY", help="Patterns to export.")
        parser.add_argument("--output", "-o", help="Directory or file to write.")
        parser.add_argument("--format", choices=FORMATS, help="yaml (default) or json.")

    def handle(self, *args, keys, output, format, **options):
        patterns = Pattern.objects.select_related("owner").order_by("key")
        if keys:
            patterns = patterns.filter(key__in=keys)
            missing = sorted(set(keys) - {pattern.key for pattern in patterns})
            if missing:
                raise CommandError(f"There is no pattern {', '.join(missing)}.")
        documents = [pattern_document(pattern) for pattern in patterns]
        target = Path(output) if output else None
        as_file = target is not None and target.suffix.lower() in EXTENSIONS
        format = format or (EXTENSIONS[target.suffix.lower()] if as_file else "yaml")
        if target is None:
            self.stdout.write(dump(documents, format), ending="")
            return
        try:
            if as_file:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(dump(documents, format), encoding="utf-8")
            else:
                target.mkdir(parents=True, exist_ok=True)
                for document in documents:
                    path = target / f"{document['key']}.{format}"
                    path.write_text(dump(document, format), encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot write {target}: {exc.strerror or exc}") from exc
        self.stdout.write(f"exported {len(documents)} pattern(s) to {target}")
