"""Rebuild the search index from the objects themselves, kind by kind, in bounded batches."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from search import index, registry

BAR_WIDTH = 30


class Bar:
    """``kind [#####.....] 512/1024 50% 830/s`` on one line, redrawn at most a few times a
    second (and always at the end); ``stream`` is a command's OutputWrapper."""

    def __init__(self, label: str, total: int, stream, every: float = 0.25):
        self.label, self.total, self.stream, self.every = label, total, stream, every
        self.done = 0
        self.started = self.last = time.monotonic()

    def advance(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self.draw(now, end="")

    def finish(self) -> None:
        self.draw(time.monotonic(), end="\n")

    def draw(self, now: float, *, end: str) -> None:
        share = self.done / self.total if self.total else 1.0
        filled = round(share * BAR_WIDTH)
        rate = self.done / max(now - self.started, 1e-9)
        self.stream.write(
            f"\r{self.label:<10} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] "
            f"{self.done}/{self.total} {share:4.0%} {rate:,.0f}/s{end}",
            ending="",
        )
        self.stream.flush()


class Command(BaseCommand):
    help = (
        "Rebuild the search index: every searchable object is read again in batches and its "
        "entry rewritten; entries of objects that no longer exist are removed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--kind", action="append", help="Only this kind (repeatable); default: every kind."
        )
        parser.add_argument(
            "--batch-size", type=int, default=500, help="Objects per transaction (default 500)."
        )

    def handle(self, *args, kind=None, batch_size: int = 500, **options):
        kinds = registry.kinds()
        unknown = sorted(set(kind or ()) - set(kinds))
        if unknown:
            raise CommandError(f"unknown kind(s): {', '.join(unknown)}; known: {', '.join(kinds)}")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        stream = self.stdout
        for name in kind or kinds:
            kept, removed = self.rebuild(kinds[name], batch_size, stream)
            stream.write(f"{name}: {kept} indexed, {removed} stale removed")

    @staticmethod
    def rebuild(kind: registry.Kind, batch_size: int, stream) -> tuple[int, int]:
        objects = (
            kind.model._default_manager.select_related(*kind.related)
            .prefetch_related(*kind.prefetched)
            .order_by("pk")
        )
        bar = Bar(kind.name, objects.count(), stream)
        kept, last = 0, None
        while True:
            page = objects if last is None else objects.filter(pk__gt=last)
            batch = list(page[:batch_size])
            if not batch:
                break
            with transaction.atomic():
                kept += index.entries_write(kind, batch)
            last = batch[-1].pk
            bar.advance(len(batch))
        bar.finish()
        with transaction.atomic():
            removed = index.orphans_delete(kind)
        return kept, removed
