"""Report cycles among parent edges; exits non-zero when one is found."""

from django.core.management.base import BaseCommand, CommandError

from relations.algorithms import find_cycles
from relations.selectors import whole_graph


class Command(BaseCommand):
    help = "Look for cycles among parent edges (one per strongly connected component)."

    def handle(self, *args, **options):
        cycles = find_cycles(whole_graph(types=["parent"]))
        if not cycles:
            self.stdout.write("no cycles")
            return
        for cycle in cycles:
            self.stdout.write(" -> ".join([*cycle, cycle[0]]))
        raise CommandError(f"{len(cycles)} cycle(s) found")
