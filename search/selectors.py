"""Search on behalf of a user: access in SQL, ranking, highlighted snippets, counts per kind.

One request runs a fixed number of statements whatever it finds: the caller's reach (none while
the process keeps it: relations.reach), then on PostgreSQL the words' queries (none for words
read before: ``word_queries``) and one statement for the counts per kind and the page (the
matches found once); when the words match nothing, the counts and the page of titles by trigram
similarity. On SQLite, the counts and the page.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial, reduce
from operator import add, or_
from typing import Any
from uuid import UUID

from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    TrigramWordSimilarity,
)
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import BooleanField, Count, F, FloatField, Func, Q, QuerySet, TextField, Value
from django.db.models.expressions import RawSQL
from django.utils.safestring import SafeString, mark_safe

from relations.access import reachable_containers, sees_everything, sharing_reach
from search import query as text_query
from search import registry
from search.models import SearchEntry
from search.texts import ALL_CONFIGS

DEFAULT_LIMIT = 20
MAX_LIMIT = 50
# At most this many matches are counted, ranked and paged: the first ones found (the index's
# order). Past it the counts are lower bounds and ``Results.capped`` says so ("1,000+"): an exact
# count, or the best of every match, costs the time of reading every match, which grows with the
# corpus (a common word matches most of a million entries).
RESULT_CAP = 1_000
# Search as you type (``titles``) keeps to the first ``TITLES_CAP`` matches: suggestions show a
# handful of titles, and a keystroke should not read a thousand entries to rank them.
TITLES_CAP = 100
SEARCH_WORK_MEM = "16MB"  # PostgreSQL, for the search statement only (see counts_and_page)
TRIGRAM_THRESHOLD = 0.3
# A little lower than TRIGRAM_THRESHOLD: the index's candidates are a superset whatever the
# rounding of the operator's comparison; the exact condition is then checked as before.
TRIGRAM_INDEX_THRESHOLD = 0.29
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
    # More than ``cap`` matches: ``counts`` and ``total`` are those of the first ``cap`` found
    # (lower bounds), and the hits are the best of those.
    capped: bool = False
    cap: int = RESULT_CAP  # RESULT_CAP, or TITLES_CAP as you type

    def more_after(self, offset: int, limit: int) -> bool:
        """Whether a page follows the page of ``limit`` from ``offset``: within the total, or,
        past the cap, while pages are full (a kind's own first ``cap``)."""
        end = offset + limit
        if end < self.total:
            return True
        return self.capped and len(self.hits) == limit and end < self.cap


# The access filter from the gates each entry stores (PostgreSQL): its own gate or its
# container's (each through its btree index) is a container the caller reaches, or one of its
# gates is the caller (mail's holders, through the GIN index). The reach goes in as an
# uncorrelated sub-select, planned once whatever it holds: as a constant, PostgreSQL estimates
# each of its ids for each index of each partition (a member of 100 projects: half the
# planning time of the search).
GATED_SQL = (
    '("search_searchentry"."gates"[1] = ANY(ARRAY(SELECT unnest(%s::uuid[]))) '
    'OR "search_searchentry"."gates"[2] = ANY(ARRAY(SELECT unnest(%s::uuid[]))) '
    'OR "search_searchentry"."gates" && %s::uuid[])'
)


def gated_entries(user, *, project: UUID | None = None) -> Q:
    """PostgreSQL: the condition of entries whose object ``user`` may see (in ``project``).

    An entry is seen through its gates (search.registry.Kind.gates): its own and its
    container's are ids of the nodes ``relations.access.visible_filter`` matches, so this keeps
    what each kind's rule keeps (the tests hold the two to the same entries). Administrators
    see every entry but others' personal ones (mail); an entry without gates (a comment of a
    document in the trash) nobody. An entry's project is among its gates (each kind's project
    is its container, or its room's or task's), which is the project filter."""
    if sees_everything(user):
        personal = [name for name, kind in registry.kinds().items() if kind.personal]
        condition = (Q(gates__len__gt=0) & ~Q(kind__in=personal)) | Q(gates__overlap=[user.pk])
    else:
        reach = [str(node.id) for node in reachable_containers(user)]
        gated = RawSQL(  # noqa: S611 - constant SQL; the ids are parameters
            GATED_SQL, [reach, reach, [str(user.pk)]], output_field=BooleanField()
        )
        condition = Q(gated)
    if project is not None:
        condition &= Q(gates__contains=[project])
    return condition


def visible_entries(user, *, project: UUID | None = None) -> Q:
    """SQLite: the condition of entries whose object ``user`` may see (in ``project``), each
    kind's own rule as a subquery."""
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


def postgres_query(found: list[str]) -> SearchQuery:
    """The words in every configuration, OR-ed: one constant query the GIN index answers."""
    raw = text_query.tsquery(found)
    return reduce(or_, (SearchQuery(raw, search_type="raw", config=c) for c in ALL_CONFIGS))


# Each word's query and terms in every configuration, read from PostgreSQL once per process: the
# text search configurations do not change while it runs, and a word comes back often (every
# keystroke of search as you type repeats the words before the last). A word a configuration
# drops (a stop word) has no query there.
WORD_SQL = (
    "SELECT w, c, to_tsquery(c::regconfig, quote_literal(w))::text, "
    "tsvector_to_array(to_tsvector(c::regconfig, w)) "
    "FROM unnest(%s::text[]) AS w, unnest(%s::text[]) AS c"
)
WORDS_KEPT = 10_000  # words per process; past it the cache starts again empty
Forms = dict[str, list[str]]
_word_queries: dict[str, tuple[dict[str, str], list[str]]] = {}


def word_queries(found: list[str]) -> dict[str, tuple[dict[str, str], list[str]]]:
    """Return, for each word of ``found``, its query text per configuration (none where the
    configuration drops it) and its terms in any configuration (its forms)."""
    missing = sorted(set(found) - set(_word_queries))
    if missing:
        configs = list(ALL_CONFIGS)
        read: dict[str, tuple[dict[str, str], set[str]]] = {w: ({}, set()) for w in missing}
        with connection.cursor() as cursor:
            cursor.execute(WORD_SQL, [missing, configs])
            for word, config, query, terms in cursor.fetchall():
                if query:
                    read[word][0][config] = query
                read[word][1].update(terms)
        if len(_word_queries) + len(missing) > WORDS_KEPT:
            _word_queries.clear()
        for word, (queries, terms) in read.items():
            _word_queries[word] = (queries, sorted(terms))
    return {word: _word_queries[word] for word in found}


def forget_cached() -> None:
    """Drop this process's words and statistics (tests that count statements)."""
    _word_queries.clear()
    _statistics.clear()


def combined_of(found: list[str]) -> str | None:
    """Return the query matching every word of ``found`` in any one configuration, each
    distinct configuration's query once (the GIN index scans each term of the query):
    ``(('alpha') & ('bets')) | (('alpha') & ('bet'))``; None when every configuration drops
    every word."""
    queries = word_queries(found)
    alternatives = set()
    for config in ALL_CONFIGS:
        parts = [queries[word][0][config] for word in found if config in queries[word][0]]
        if parts:
            alternatives.add(" & ".join(f"({part})" for part in parts))
    return " | ".join(f"({each})" for each in sorted(alternatives)) or None


def parsed(found: list[str], *, titles: bool = False) -> tuple[str | None, Forms]:
    """Return the text of ``postgres_query(found)`` (``combined_of``), or None when no
    configuration keeps a word, and the terms of each word.

    ``titles`` (search as you type): the last word begins a word of the title, the others are
    whole words: ``((('alpha')) | (('alph'))) & '^bet'``; the last word's term is its prefix
    term.
    """
    words = found[:-1] if titles else found
    combined = combined_of(words) if words else None
    forms = {word: terms for word, (_queries, terms) in word_queries(words).items()}
    if not titles:
        return combined, forms
    prefix = text_query.prefix_term(found[-1])
    forms[found[-1]] = [prefix.strip("'")]
    return (f"({combined}) & {prefix}" if combined else prefix), forms


def postgres_matches(entries: QuerySet, found: list[str]) -> QuerySet:
    combined = postgres_query(found)
    return entries.filter(vector=combined).annotate(rank=SearchRank(F("vector"), combined))


# ts_headline parses and stems the whole text it is given: a long document's text is cut to a
# window of ``HEADLINE_WINDOW`` characters, from ``HEADLINE_BEFORE`` characters before the first
# place the first word appears as written (the start when it does not: a stemmed form).
HEADLINE_WINDOW = 1_000
HEADLINE_BEFORE = 300
BODY = "search_searchentry.body"
HEADLINE_SQL = (
    "ts_headline(search_searchentry.config::regconfig, "
    f"CASE WHEN length({BODY}) <= {HEADLINE_WINDOW} THEN {BODY} ELSE substr({BODY}, "
    f"greatest(1, strpos(lower({BODY}), %s) - {HEADLINE_BEFORE}), {HEADLINE_WINDOW}) END, "
    "to_tsquery(search_searchentry.config::regconfig, %s), %s)"
)
HEADLINE_OPTIONS = (
    f"StartSel='{text_query.MARK_START}', StopSel='{text_query.MARK_END}', "
    f"MaxWords={SNIPPET_WORDS}, MinWords={SNIPPET_WORDS // 2}, MaxFragments=2, "
    "FragmentDelimiter=' … '"
)


def headline_params(found: list[str]) -> list[str]:
    return [found[0], text_query.tsquery(found), HEADLINE_OPTIONS]


def postgres_snippets(entries: QuerySet, found: list[str]) -> QuerySet:
    # In the entry's own configuration only: the OR of every configuration makes ts_headline
    # many times slower on long texts.
    return entries.annotate(
        # Constant SQL; the words are parameters.
        marked=RawSQL(HEADLINE_SQL, headline_params(found), output_field=TextField())  # noqa: S611
    )


def postgres_similar(entries: QuerySet, found: list[str], *, titles: bool = True) -> QuerySet:
    """Titles close to every word (typos): trigram word similarity of each at least
    ``TRIGRAM_THRESHOLD``, ranked by their mean."""
    similarities = {
        f"similar_{n}": TrigramWordSimilarity(Value(word), "title") for n, word in enumerate(found)
    }
    close = {f"{name}__gte": TRIGRAM_THRESHOLD for name in similarities}
    # The same condition through the trigram index first (``title %> word``, true from the
    # lower threshold ``TRIGRAM_INDEX_THRESHOLD`` set by ``trigram_threshold``): without it every
    # visible entry's title would be compared.
    indexed = [WordSimilar(F("title"), Value(word)) for word in found]
    return (
        entries.filter(*indexed)
        .annotate(**similarities)
        .filter(**close)
        .annotate(rank=reduce(add, (F(name) for name in similarities)) / len(similarities))
    )


# The matches are found once, at most ``RESULT_CAP`` + 1 of them (``seq`` numbers them in the
# order found; the one past the cap only says there are more), and ranked; the counts per kind
# and the page are read from them. With a ``type``, the page's candidates are found again among
# that kind's entries only (``typed``), so a kind has its own first ``RESULT_CAP``.
MATCHED_SQL = """
WITH matched AS MATERIALIZED (
    SELECT found.*, row_number() OVER () AS seq FROM (
        SELECT search_searchentry.id, search_searchentry.object_id, search_searchentry.kind,
               search_searchentry.updated_at, {rank} AS rank
        FROM {source}{joined}
        WHERE {where}
        LIMIT %s
    ) AS found
),{typed}
page AS (
    SELECT id, object_id, rank,
           row_number() OVER (ORDER BY rank DESC, updated_at DESC, id) AS n
    FROM {candidates} WHERE seq <= %s
    ORDER BY rank DESC, updated_at DESC, id LIMIT %s OFFSET %s
)
SELECT kind, count(*) FILTER (WHERE seq <= %s), max(seq), NULL, NULL, NULL, NULL, NULL
FROM matched GROUP BY kind
UNION ALL
SELECT search_searchentry.kind, NULL, page.n, search_searchentry.object_id,
       search_searchentry.title, {marked}, page.rank, search_searchentry.path
FROM page JOIN search_searchentry
    ON search_searchentry.id = page.id AND search_searchentry.object_id = page.object_id
"""
TYPED_SQL = """
typed AS MATERIALIZED (
    SELECT search_searchentry.id, search_searchentry.object_id, search_searchentry.updated_at,
           {rank} AS rank, 1 AS seq
    FROM {source}{joined}
    WHERE search_searchentry.kind = %s AND {where}
    LIMIT %s
),"""

# The counts per kind, the page's rows, and whether the matches went past ``RESULT_CAP``.
Rows = tuple[dict[str, int], list[dict[str, Any]], bool]


def postgres_search(
    entries: QuerySet,
    found: list[str],
    *,
    titles: bool,
    type: str | None,
    limit: int,
    offset: int,
    cap: int = RESULT_CAP,
    seen: float = 1.0,
) -> Rows:
    """Return the counts per kind and the page's rows of the entries matching ``found``, in one
    statement: the matches (access filter, ranking) are found once and reused by both, and the
    headlines are made for the page's rows only. ``seen``: about the share of the entries the
    caller may see (``seen_share``)."""
    compiler = entries.query.get_compiler(connection=connection)
    try:
        visible, visible_params = compiler.compile(entries.query.where)
    except EmptyResultSet:  # nothing visible (no kind in the project)
        return dict.fromkeys(registry.kinds(), 0), [], False
    combined, forms = parsed(found, titles=titles)
    if combined is None:  # no configuration keeps a word (cannot happen with ``simple``)
        return dict.fromkeys(registry.kinds(), 0), [], False
    # Titles only: matched through the titles' own vector and its GIN index (the weighted query
    # ``'word':A`` on ``vector`` rechecks every candidate's whole vector). Either way ranked on
    # the title's vector: a long document's whole vector is never read (ranking the first
    # thousand matches on their whole vectors was three quarters of a search's time).
    column = "title_vector" if titles else "vector"
    vector = f"search_searchentry.{column}"
    lead = lead_words(found, column, forms)
    shares = common_terms(column)
    rarest = min(shares.at_most(forms.get(found[n], [])) for n in lead)
    if access_on_matches(rarest, seen, cap):
        visible = f"({visible}) IS TRUE"  # no index answers ``IS TRUE``: checked on each match
    where = (f"{vector} @@ query.q AND ({visible})", list(visible_params))
    source = ENTRIES
    if len(lead) < len(found):  # the common words are checked on the rarer words' matches
        last = len(found) - 1
        asked, _forms = parsed([found[n] for n in lead], titles=titles and last in lead)
        source = (
            f"(SELECT * FROM search_searchentry WHERE {vector} @@ %s::tsquery "  # noqa: S608
            f"AND ({visible}) OFFSET 0) AS search_searchentry",
            [asked, *visible_params],
        )
        where = (f"{vector} @@ query.q", [])
    return counts_and_page(
        rank=("ts_rank(search_searchentry.title_vector, query.q)", []),
        source=source,
        joined=(", (SELECT %s::tsquery AS q) AS query", [combined]),
        where=where,
        marked=("''", []) if titles else (HEADLINE_SQL, headline_params(found)),
        type=type,
        limit=limit,
        offset=offset,
        cap=cap,
    )


# Common words (PostgreSQL). The GIN index answers "every word" by reading each word's list of
# entries, and a word found in most entries has a long one: with a rare word beside it, reading
# that list was most of the search (16 partitions, 2.5 ms each, at a million entries for a word in
# nine entries of ten, to keep 64 entries the rare word alone had found). So a word at least
# ``COMMON_FREQUENCY`` of the entries hold, and ``COMMON_RATIO`` times as many as the rarest
# word of the query, is left out of the index's question and checked on the rarer words'
# matches instead (one vector each). How common a word is comes from the statistics PostgreSQL
# keeps of each partition's vectors (``pg_stats.most_common_elems``, its thousand commonest terms;
# a term a partition does not list counts as none there, and is held by fewer entries than the
# least common term listed), read once per ``STATISTICS_TTL`` seconds per process; without
# statistics (a new or small index) every word goes to the index.
COMMON_FREQUENCY = 0.5
COMMON_RATIO = 20
STATISTICS_TTL = 600
COMMON_SQL = (
    "WITH stats AS (SELECT most_common_elems::text::text[] AS terms, "
    "most_common_elem_freqs AS shares FROM pg_stats WHERE schemaname = current_schema() "
    "AND tablename LIKE 'search\\_searchentry\\_%%' AND attname = %s AND NOT inherited) "
    "SELECT x.term, sum(x.share) / (SELECT count(*) FROM stats), "
    # After the shares of the terms come the least and the greatest of them.
    "(SELECT max(shares[cardinality(terms) + 1]) FROM stats) "
    "FROM stats, unnest(stats.terms, stats.shares) AS x (term, share) "
    "WHERE x.term IS NOT NULL GROUP BY x.term"
)
# How many entries there are, in how many partitions, and how many distinct containers they fall
# in (their second gate: the most any partition's statistics of its index on it give).
ENTRIES_SQL = (
    "SELECT (SELECT sum(greatest(c.reltuples, 0)) FROM pg_inherits i "
    "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'search_searchentry'::regclass), "
    "(SELECT count(*) FROM pg_inherits WHERE inhparent = 'search_searchentry'::regclass), "
    # A negative n_distinct is a share of the rows (a float: 3/7 of 7 rows is 2.9999998).
    "(SELECT max(CASE WHEN s.n_distinct < 0 THEN round(-s.n_distinct * c.reltuples) "
    "ELSE s.n_distinct END) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
    "JOIN pg_stats s ON s.schemaname = current_schema() AND s.tablename = c.relname "
    "WHERE i.inhparent = 'search_entry_container_gate'::regclass)"
)


@dataclass(frozen=True)
class TermShares:
    shares: dict[str, float]  # the commonest terms, and the share of the entries holding each
    floor: float  # a term not listed is held by fewer entries than this share (1: unknown)

    def at_most(self, terms: list[str]) -> float:
        """The share of the entries holding any of ``terms`` at most (about)."""
        return max((self.shares.get(term, self.floor) for term in terms), default=self.floor)


_statistics: dict[str, tuple[float, Any]] = {}


def cached_statistic(name: str, read):
    """``read()``'s answer, read from PostgreSQL once per ``STATISTICS_TTL`` seconds."""
    now = time.monotonic()
    cached = _statistics.get(name)
    if cached is None or cached[0] < now:
        with connection.cursor() as cursor:
            cached = (now + STATISTICS_TTL, read(cursor))
        _statistics[name] = cached
    return cached[1]


def common_terms(column: str) -> TermShares:
    """The commonest terms of ``column`` (``vector`` or ``title_vector``) and the share of the
    entries holding each, as PostgreSQL's statistics last saw them."""

    def read(cursor) -> TermShares:
        cursor.execute(COMMON_SQL, [column])
        rows = cursor.fetchall()
        shares = {term: float(share) for term, share, _floor in rows}
        floors = [floor for _term, _share, floor in rows if floor is not None]
        return TermShares(shares, float(floors[0]) if floors else 1.0)

    return cached_statistic(column, read)


@dataclass(frozen=True)
class EntryCounts:
    entries: int
    partitions: int
    containers: int  # 0: unknown


def entry_counts() -> EntryCounts:
    """How many entries, partitions and containers, as PostgreSQL's statistics last saw."""

    def read(cursor) -> EntryCounts:
        cursor.execute(ENTRIES_SQL)
        entries, partitions, containers = cursor.fetchone()
        return EntryCounts(round(entries or 0), int(partitions or 0), round(containers or 0))

    return cached_statistic("entries", read)


def lead_words(found: list[str], column: str, forms: Forms) -> list[int]:
    """The positions of the words of ``found`` the index is asked for: all but the common ones
    (see ``COMMON_FREQUENCY``), the rarest always. ``forms``: each word's terms (``parsed``)."""
    everything = list(range(len(found)))
    common = common_terms(column).shares if len(found) > 1 else {}
    if not common:
        return everything
    share = [
        max((common.get(term, 0.0) for term in forms.get(word, ())), default=0.0) for word in found
    ]
    rarest = min(share)
    frequent = max(COMMON_FREQUENCY, COMMON_RATIO * rarest)
    return [n for n in everything if share[n] < frequent]


# The access filter: a condition of the index, or checked on each match (PostgreSQL). As a
# condition of the index, each partition read makes the bitmap of every entry the caller may see
# (a member of 100 of 1,000 projects: 12,600 entries per partition of a million, about 1.2 ms),
# to intersect with the words' matches; the partitions are read until ``cap`` visible matches
# are found. Checked on each match, each costs a visit of its row, ``ROW_COST`` entries of a
# bitmap (measured: 1 to 3 µs), until ``cap`` visible matches are found. The cheaper is chosen
# from the statistics: the share of the entries holding the rarest word asked of the index (at
# most), and about the share of them the caller may see (``seen_share``). With search as you
# type's small cap the matches are checked for a member of many projects; for a first page, or
# a member of few projects, the index answers.
ROW_COST = 10


def seen_share(user, *, project: UUID | None = None) -> float:
    """About the share of the entries ``user`` may see (in ``project``): the containers of their
    reach among those the entries fall in, or one of them (1 for administrators, and while the
    statistics are unknown)."""
    containers = entry_counts().containers
    if not containers:
        return 1.0
    if project is not None:
        return 1 / containers
    if sees_everything(user):
        return 1.0
    return min(1.0, len(reachable_containers(user)) / containers)


def access_on_matches(rarest: float, seen: float, cap: int) -> bool:
    """Whether the access filter costs less checked on each match than asked of the index, the
    rarest word asked of the index held by ``rarest`` of the entries, ``seen`` of them visible
    to the caller, the first ``cap`` wanted."""
    counts = entry_counts()
    if not counts.entries or not counts.partitions or seen <= 0:
        return False
    held = max(rarest, 1 / counts.entries)
    wanted = (cap + 1) / seen  # the matches read to find ``cap`` visible ones, or all of them
    on_matches = ROW_COST * min(held * counts.entries, wanted)
    visible = seen * counts.entries
    from_index = max(visible / counts.partitions, min(visible, (cap + 1) / held))
    return on_matches < from_index


def postgres_similar_search(
    entries: QuerySet,
    found: list[str],
    *,
    type: str | None,
    limit: int,
    offset: int,
    cap: int = RESULT_CAP,
) -> Rows:
    """``postgres_search`` for titles close to the words (``postgres_similar``), no snippets."""
    matches = postgres_similar(entries, found)
    compiler = matches.query.get_compiler(connection=connection)
    try:
        where = compiler.compile(matches.query.where)
    except EmptyResultSet:
        return dict.fromkeys(registry.kinds(), 0), [], False
    return counts_and_page(
        rank=compiler.compile(matches.query.annotations["rank"]),
        joined=("", []),
        where=where,
        marked=("''", []),
        type=type,
        limit=limit,
        offset=offset,
        cap=cap,
    )


ENTRIES = ("search_searchentry", [])


def counts_and_page(
    *, rank, joined, where, marked, type, limit, offset, cap, source=ENTRIES
) -> Rows:
    """Run ``MATCHED_SQL`` with these (SQL, parameters) parts, the entries read from
    ``source``. The counts are those of the first ``cap`` matches; a count over ``cap`` in all
    says there are more."""
    parts = {"rank": rank, "source": source, "joined": joined, "where": where}
    found = {name: part[0] for name, part in parts.items()}
    matched_params = [*rank[1], *source[1], *joined[1], *where[1], cap + 1]
    if type is None:
        typed, typed_params, candidates = "", [], "matched"
    else:
        typed = TYPED_SQL.format(**found)
        typed_params = [*rank[1], *source[1], *joined[1], type, *where[1], cap]
        candidates = "typed"
    sql = MATCHED_SQL.format(marked=marked[0], typed=typed, candidates=candidates, **found)
    params = [*matched_params, *typed_params, cap, limit, offset, cap, *marked[1]]
    with transaction.atomic(), connection.cursor() as cursor:
        # For this statement only: no synchronised scans (a sequential scan stopped at the cap,
        # PostgreSQL's plan for a common word, would start where another scan of the table is,
        # so the first matches, the counts and the page would change from one request to the
        # next); room for an exact bitmap of a common word's matches (past ``work_mem`` pages
        # go lossy and every row on them is checked again, reading long documents' whole
        # vectors: a third of a two-word search over a million entries); and a plan made for
        # these words (psycopg prepares a statement run twice, and after five runs PostgreSQL
        # may keep one generic plan for any words: blind to how common they are, it made a
        # search as you type twice as slow); and no JIT compilation (a plan estimated costly,
        # common words over eight partitions, passes ``jit_above_cost``, and compiling it took
        # 50-60 ms for a statement that then ran in 9).
        cursor.execute(
            "SELECT set_config('synchronize_seqscans', 'off', true), "
            "set_config('work_mem', %s, true), "
            "set_config('plan_cache_mode', 'force_custom_plan', true), "
            "set_config('jit', 'off', true)",
            [SEARCH_WORK_MEM],
        )
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    counts = dict.fromkeys(registry.kinds(), 0)
    rows, capped = [], False
    for kind, n, position, object_id, title, marked_text, score, path in fetched:
        if n is not None:  # a kind's count; ``position`` is the last ``seq`` of the kind
            counts[kind] = counts.get(kind, 0) + n
            capped = capped or position > cap
        else:
            rows.append(
                {
                    "n": position,
                    "kind": kind,
                    "object_id": object_id,
                    "title": title,
                    "marked": marked_text,
                    "rank": score,
                    "path": path,
                }
            )
    rows.sort(key=lambda row: row["n"])
    return counts, rows, capped


class WordSimilar(Func):
    """``title %> word``: the word's trigram word similarity to the title is at least
    ``pg_trgm.word_similarity_threshold``; answered by the title's trigram GIN index."""

    arg_joiner = " %%> "
    template = "(%(expressions)s)"
    output_field = BooleanField()


@contextmanager
def trigram_threshold() -> Iterator[None]:
    """Within this block, ``WordSimilar`` holds from ``TRIGRAM_INDEX_THRESHOLD`` on (one
    ``SET LOCAL``, undone with the transaction)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)",
            [str(TRIGRAM_INDEX_THRESHOLD)],
        )
        yield


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
    cap = TITLES_CAP if titles else RESULT_CAP
    empty = Results(
        hits=[], counts=dict.fromkeys(registry.kinds(), 0), total=0, words=found, cap=cap
    )
    if not found or not getattr(user, "is_authenticated", False) or not user.is_active:
        return empty
    with sharing_reach():
        if connection.vendor == "postgresql":
            entries = SearchEntry.objects.filter(gated_entries(user, project=project))
            counts, rows, capped = postgres_search(
                entries,
                found,
                titles=titles,
                type=type,
                limit=limit,
                offset=offset,
                cap=cap,
                seen=seen_share(user, project=project),
            )
            # No word matched: titles close to the words (not as you type: a word being typed is
            # no typo, and each keystroke would cost a trigram search).
            fuzzy = not titles and not any(counts.values())
            if fuzzy:
                with trigram_threshold():
                    counts, rows, capped = postgres_similar_search(
                        entries, found, type=type, limit=limit, offset=offset, cap=cap
                    )
        else:
            entries = SearchEntry.objects.filter(visible_entries(user, project=project))
            match = partial(sqlite_matches, titles=titles)
            matches = match(entries, found)
            (counts, capped), fuzzy = sqlite_counts(matches, cap), False
            snippets = no_snippets if titles else sqlite_snippets
            rows = orm_page(matches, found, match, snippets, type, limit, offset, cap)
        hits = [hit_of(row) for row in rows]
    total = counts.get(type, 0) if type is not None else sum(counts.values())
    return Results(
        hits=hits,
        counts=counts,
        total=total,
        words=found,
        fuzzy=fuzzy,
        capped=capped,
        cap=cap,
    )


def first_found(matches: QuerySet, count: int) -> QuerySet:
    """The ids of the first ``count`` of ``matches`` in key order (SQLite: the index's order)."""
    return matches.order_by("pk").values("pk")[:count]


def sqlite_counts(matches: QuerySet, cap: int) -> tuple[dict[str, int], bool]:
    """The counts per kind of the first ``cap`` matches, and whether there are more."""
    capped = matches.filter(pk__in=first_found(matches, cap + 1)).count() > cap
    return counts_of(matches.filter(pk__in=first_found(matches, cap))), capped


def orm_page(matches, found, match, snippets, type, limit, offset, cap) -> list[dict[str, Any]]:
    """The page's rows of the first ``cap`` ``matches`` (of ``type``): the ids chosen in a
    subquery, snippets for them only."""
    if type is not None:
        matches = matches.filter(kind=type)
    matches = matches.filter(pk__in=first_found(matches, cap))
    page_ids = matches.order_by(*ORDER).values("pk")[offset : offset + limit]
    page = snippets(match(SearchEntry.objects.filter(pk__in=page_ids), found), found)
    return list(
        page.order_by(*ORDER).values("kind", "object_id", "title", "marked", "rank", "path")
    )


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
