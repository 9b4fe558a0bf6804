"""Print the shortest path between two nodes of the relationship graph."""

from django.core.management.base import BaseCommand, CommandError

from nexus_site.definitions import constants
from nexus_site.exceptions import ValidationError
from relations.algorithms import shortest_path
from relations.nodes import parse_node
from relations.selectors import whole_graph


class Command(BaseCommand):
    help = "Print the shortest path between two nodes written app_label.model:uuid."

    def add_arguments(self, parser):
        parser.add_argument("source")
        parser.add_argument("target")
        parser.add_argument("--max-depth", type=int, default=constants.GRAPH_MAX_DEPTH)
        parser.add_argument("--type", action="append", dest="types", help="Edge type (repeat).")

    def handle(self, *args, source: str, target: str, max_depth: int, types, **options):
        try:
            start, goal = parse_node(source, field="source"), parse_node(target, field="target")
        except ValidationError as exc:
            raise CommandError(exc.details) from exc
        path = shortest_path(whole_graph(), str(start), str(goal), max_depth=max_depth, types=types)
        if path is None:
            raise CommandError(f"no path within {max_depth} steps")
        self.stdout.write(" -> ".join(path))
