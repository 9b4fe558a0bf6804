"""Search: one index of entries for everything a person can find, and the query over it.

Why one table of entries (``search.models.SearchEntry``) rather than a column per model:
one query ranks projects, tasks, documents, files, mail, chat and comments together and
counts them per kind for the facets; each app only says how its object reads as text
(``search.registry``), and the index follows every write inside the writer's transaction
(``search.index``), so a rolled-back write leaves nothing behind.

Access is never copied into the index: an entry is found only when its object is in the
caller's visible set, written in SQL as ``object_id IN (<the app's visible objects>)`` built
from ``relations.access.visible_filter`` (and the mailbox / room rules of mail and chat). A
share, a move to another project or a removed membership therefore changes search results at
once, and an entry whose object is gone is simply never visible.

PostgreSQL: a weighted ``tsvector`` (title A, body B) in the text search configuration of the
content's language, a GIN index on it and a trigram GIN index on titles (``pg_trgm``) for
typos. SQLite: an FTS5 table (porter + unicode61) kept in step by triggers, created by the
migration only on SQLite. The answers have the same shape on both.
"""
