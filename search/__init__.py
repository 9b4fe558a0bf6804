"""Search: one index of entries for everything a person can find, and the query over it.

Why one table of entries (``search.models.SearchEntry``) rather than a column per model:
one query ranks projects, tasks, documents, files, mail, chat and comments together and
counts them per kind for the facets; each app only says how its object reads as text
(``search.registry``), and the index follows every write inside the writer's transaction
(``search.index``), so a rolled-back write leaves nothing behind.

Who may find an entry: each entry stores its *gates*, the ids of the nodes through which its
object may be seen (its own and its container's, its room's or task's; mail's holders), written
with it and kept true by every write that changes them (``search.index``). On PostgreSQL the
search keeps the entries with a gate among the caller's reachable containers (read on every
search, so a share or a removed membership changes results at once); on SQLite it applies each
kind's own rule as a subquery. An entry goes with its object however it is deleted.

PostgreSQL: the entries in 8 hash partitions read until the result cap, a weighted
``tsvector`` (title A, body B) in the text search configuration of the content's language with
a GIN index, the title's words and their beginnings for search as you type, and a trigram GIN
index on titles (``pg_trgm``) for typos. SQLite: an FTS5 table (porter + unicode61) kept in step
by triggers, created by the migration only on SQLite. The answers have the same shape on both.
"""
