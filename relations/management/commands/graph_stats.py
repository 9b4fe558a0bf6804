"""Print statistics of the stored relationship graph."""

import json

from django.core.management.base import BaseCommand

from relations.algorithms import statistics
from relations.selectors import whole_graph


class Command(BaseCommand):
    help = "Print node, edge and degree statistics of the relationship graph."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print JSON instead of lines.")

    def handle(self, *args, json: bool = False, **options):
        figures = statistics(whole_graph())
        if json:
            self.stdout.write(_dumps(figures))
            return
        self.stdout.write(f"nodes: {figures['node_count']}")
        self.stdout.write(f"edges: {figures['edge_count']}")
        for edge_type, count in sorted(figures["edges_by_type"].items()):
            self.stdout.write(f"  {edge_type}: {count}")
        for kind, summary in figures["degree"].items():
            described = ", ".join(f"{name} {value:g}" for name, value in summary.items())
            self.stdout.write(f"{kind} degree: {described}")
        self.stdout.write(f"weakly connected components: {figures['weakly_connected_components']}")


def _dumps(figures: dict) -> str:
    return json.dumps(figures, indent=2, sort_keys=True)
