"""Search on behalf of a user: access in SQL, ranking, highlighted snippets, counts per kind.

One request runs a fixed number of statements whatever it finds: the caller's reach (read once
through ``relations.access.sharing_reach``), the page of results and the counts per kind; on
PostgreSQL, when the words match nothing, the same two again for titles by trigram similarity.
"""

from dataclasses import dataclass, field
from functools import partial, reduce
from operator import add, or_
from typing import Any
from uuid import UUID

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    TrigramWordSimilarity,
)
from django.db import connection
from django.db.models import Count, F, FloatField, Func, Q, QuerySet, TextField, Value
from django.db.models.expressions import RawSQL
from django.utils.safestring import SafeString, mark_safe

from relations.access import sharing_reach
from search import query as text_query
from search import registry
from search.models import SearchEntry
from search.texts import ALL_CONFIGS

DEFAULT_LIMIT = 20
MAX_LIMIT = 50
TRIGRAM_THRESHOLD = 0.3
SNIPPET_WORDS = 24


@dataclass(frozen=True)
class Hit:
    type: str
    id: UUID
    title: str
    snippet: SafeString  # escaped text, highlights as <mark>
    rank: float
    path: str


@dataclass(frozen=True)
class Results:
    hits: list[Hit]
    counts: dict[str, int]  # per kind, whatever ``type`` narrowed the hits to
    total: int  # of the kind asked for (or of all kinds)
    words: list[str] = field(default_factory=list)
    fuzzy: bool = False  # found by trigram similarity of titles (no word matched)


def visible_entries(user, *, project: UUID | None = None) -> Q:
    """Return the condition of entries whose object ``user`` may see (in ``project``)."""
    conditions = []
    for kind in registry.kinds().values():
        objects = kind.visible(user)
        if project is not None:
            if not kind.project_paths:
                continue
            objects = objects.filter(
                reduce(or_, (Q(**{path: project}) for path in kind.project_paths))
            )
        conditions.append(Q(kind=kind.name, object_id__in=objects.values("pk")))
    return reduce(or_, conditions) if conditions else Q(pk__in=[])


def counts_of(entries: QuerySet[SearchEntry]) -> dict[str, int]:
    rows = entries.order_by().values("kind").annotate(n=Count("pk")).values_list("kind", "n")
    counted = dict(rows)
    return {name: counted.get(name, 0) for name in registry.kinds()}


def postgres_query(found: list[str], *, titles: bool = False) -> SearchQuery:
    """The words in every configuration, OR-ed: one constant query the GIN index answers."""
    raw = text_query.tsquery(found, titles=titles)
    return reduce(or_, (SearchQuery(raw, search_type="raw", config=c) for c in ALL_CONFIGS))


def postgres_matches(entries: QuerySet, found: list[str], *, titles: bool = False) -> QuerySet:
    combined = postgres_query(found, titles=titles)
    return entries.filter(vector=combined).annotate(rank=SearchRank(F("vector"), combined))


def postgres_snippets(entries: QuerySet, found: list[str]) -> QuerySet:
    # In the entry's own configuration only: the OR of every configuration makes ts_headline
    # many times slower on long texts.
    own = SearchQuery(text_query.tsquery(found), search_type="raw", config=F("config"))
    headline = SearchHeadline(
        "body",
        own,
        config=F("config"),
        start_sel=text_query.MARK_START,
        stop_sel=text_query.MARK_END,
        max_words=SNIPPET_WORDS,
        min_words=SNIPPET_WORDS // 2,
        max_fragments=2,
        fragment_delimiter=" … ",
    )
    return entries.annotate(marked=headline)


def postgres_similar(entries: QuerySet, found: list[str], *, titles: bool = True) -> QuerySet:
    """Titles close to every word (typos): trigram word similarity of each at least
    ``TRIGRAM_THRESHOLD``, ranked by their mean."""
    similarities = {
        f"similar_{n}": TrigramWordSimilarity(Value(word), "title") for n, word in enumerate(found)
    }
    close = {f"{name}__gte": TRIGRAM_THRESHOLD for name in similarities}
    return (
        entries.annotate(**similarities)
        .filter(**close)
        .annotate(rank=reduce(add, (F(name) for name in similarities)) / len(similarities))
    )


def no_snippets(entries: QuerySet, found: list[str]) -> QuerySet:
    return entries.annotate(marked=Value("", output_field=TextField()))


class FtsRow(Func):
    """``(SELECT <select> FROM search_entry_fts WHERE search_entry_fts MATCH <match> AND rowid =
    <the entry's id>)``: an FTS5 auxiliary function (bm25, snippet) for one entry, wherever
    the entry's table is aliased (subqueries). ``select`` is one of this module's constants;
    the words are a parameter."""

    template = (
        "(SELECT %(select)s FROM search_entry_fts WHERE search_entry_fts MATCH %(expressions)s)"
    )
    arg_joiner = " AND search_entry_fts.rowid = "

    def __init__(self, select: str, match: str, output_field) -> None:
        super().__init__(Value(match), F("pk"), output_field=output_field, select=select)


def sqlite_matches(entries: QuerySet, found: list[str], *, titles: bool = False) -> QuerySet:
    match = text_query.fts5_match(found, titles=titles)
    return entries.filter(
        pk__in=RawSQL("SELECT rowid FROM search_entry_fts WHERE search_entry_fts MATCH %s", [match])
    ).annotate(
        # bm25 is lower for better matches; the title weighs ten times the text.
        rank=FtsRow("-bm25(search_entry_fts, 10.0, 1.0)", match, FloatField())
    )


def sqlite_snippets(entries: QuerySet, found: list[str]) -> QuerySet:
    snippet = f"snippet(search_entry_fts, -1, char(2), char(3), '…', {SNIPPET_WORDS // 2})"
    return entries.annotate(marked=FtsRow(snippet, text_query.fts5_match(found), TextField()))


ORDER = ("-rank", "-updated_at", "id")


def search(
    user,
    q: str,
    *,
    type: str | None = None,
    project: UUID | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    titles: bool = False,
) -> Results:
    """Return what ``user`` may see that matches ``q``: best first, with snippets and counts.

    The caller validates ``type`` (a registered kind), ``limit`` and ``offset``. Snippets are
    made for the page's rows only: the page's ids are chosen in a subquery first. ``titles``
    (search as you type): titles only, no snippets.
    """
    found = text_query.words(q)
    empty = Results(hits=[], counts=dict.fromkeys(registry.kinds(), 0), total=0, words=found)
    if not found or not getattr(user, "is_authenticated", False):
        return empty
    postgres = connection.vendor == "postgresql"
    match = partial(postgres_matches if postgres else sqlite_matches, titles=titles)
    snippets = no_snippets if titles else postgres_snippets if postgres else sqlite_snippets
    with sharing_reach():
        entries = SearchEntry.objects.filter(visible_entries(user, project=project))
        matches = match(entries, found)
        counts, fuzzy = counts_of(matches), False
        if postgres and not any(counts.values()):
            match, snippets, fuzzy = postgres_similar, no_snippets, True
            matches = match(entries, found)
            counts = counts_of(matches)
        if type is not None:
            matches = matches.filter(kind=type)
        page_ids = matches.order_by(*ORDER).values("pk")[offset : offset + limit]
        page = snippets(match(SearchEntry.objects.filter(pk__in=page_ids), found), found)
        rows = page.order_by(*ORDER).values("kind", "object_id", "title", "marked", "rank", "path")
        hits = [hit_of(row) for row in rows]
    total = counts.get(type, 0) if type is not None else sum(counts.values())
    return Results(hits=hits, counts=counts, total=total, words=found, fuzzy=fuzzy)


def hit_of(row: dict[str, Any]) -> Hit:
    marked = row["marked"] or ""
    snippet = text_query.snippet_html(marked) if marked.strip() else ""
    return Hit(
        type=row["kind"],
        id=row["object_id"],
        title=row["title"],
        snippet=mark_safe(snippet),  # noqa: S308 - escaped by snippet_html; only <mark> added
        rank=round(float(row["rank"] or 0.0), 6),
        path=row["path"],
    )
