"""Print how patterns run: runs, success rate, p50/p95 duration, failures by step."""

import json

from django.core.management.base import BaseCommand, CommandError

from patterns.management.tables import table
from patterns.models import Pattern
from patterns.selectors import pattern_stats

SUMMARY = ("runs", "succeeded", "success_rate", "p50_ms", "p95_ms")


def percent(rate) -> str | None:
    return None if rate is None else f"{rate * 100:.1f}%"


class Command(BaseCommand):
    help = (
        "Statistics of top-level runs: of every pattern, or of KEY by version with its "
        "failures by step. --json prints the numbers as JSON."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # --version means a pattern version here, not Django's: let it replace the base option.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("key", nargs="?", help="One pattern's key.")
        parser.add_argument("--version", type=int, help="Only this version (needs KEY).")
        parser.add_argument("--json", dest="as_json", action="store_true", help="Print JSON.")

    def handle(self, *args, key, version, as_json: bool, **options):
        if version is not None and not key:
            raise CommandError("--version needs a pattern KEY.")
        if key:
            pattern = Pattern.objects.filter(key=key).first()
            if pattern is None:
                raise CommandError(f"There is no pattern {key}.")
            if version is not None and not pattern.versions.filter(number=version).exists():
                raise CommandError(f"Pattern {key} has no version {version}.")
            self.one(pattern_stats(pattern, version=version), as_json=as_json)
        else:
            self.every(
                [pattern_stats(pattern) for pattern in Pattern.objects.order_by("key")],
                as_json=as_json,
            )

    def every(self, stats: list[dict], *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(dumps(stats))
            return
        rows = [(*self.row(item["pattern"], item), item["running"]) for item in stats]
        self.stdout.write(
            table(("pattern", "runs", "ok", "success", "p50 ms", "p95 ms", "running"), rows)
        )

    def one(self, stats: dict, *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(dumps(stats))
            return
        self.stdout.write(
            table(
                ("version", "runs", "ok", "success", "p50 ms", "p95 ms"),
                [
                    self.row("all", stats),
                    *(self.row(f"v{item['version']}", item) for item in stats["versions"]),
                ],
            )
        )
        self.stdout.write(f"running: {stats['running']}")
        failures = stats["failures_by_step"]
        if failures:
            self.stdout.write("")
            self.stdout.write(table(("failed step", "failures"), failures.items()))
        else:
            self.stdout.write("no failed steps")

    @staticmethod
    def row(label: str, item: dict) -> tuple:
        return (
            label,
            item["runs"],
            item["succeeded"],
            percent(item["success_rate"]),
            item["p50_ms"],
            item["p95_ms"],
        )


def dumps(value) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)
