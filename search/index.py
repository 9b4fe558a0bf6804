"""Keep the index in step with the writes: called inside each write service's transaction.

An entry stores the ids through which its object may be seen (``SearchEntry.gates``), so every
write that changes them writes the entry again: the object's own update, and for the entries
seen through another object (a task's comments, a room's messages) ``dependents_follow``. An
object deleted in any way, through a cascade too, takes its entry with it (``entry_deleted``,
a ``post_delete`` receiver), so no entry outlives what it shows.
"""

from django.contrib.postgres.search import SearchVector, SearchVectorCombinable, SearchVectorField
from django.db import connection
from django.db.models import F, Func, Model, Q, Value
from django.utils import timezone

from relations.access import gate_ids
from search import query as text_query
from search import registry
from search.models import TITLE_MAX_LENGTH, SearchEntry
from search.texts import clean, config_for

UPDATED_FIELDS = ["title", "body", "config", "path", "updated_at", "gates"]


class Stripped(Func):
    """``strip(vector)``: the vector's terms without their positions and weights."""

    function = "strip"
    output_field = SearchVectorField()


def vector_expression(*, title: Value | None = None) -> Func:
    """Return the vector of an entry's own columns (or of ``title`` and its text), in its own
    configuration, stripped: it only says which terms the entry holds (ranking reads the title's
    vector, snippets the text), and, a third smaller, it is read faster when a search checks a
    common word on each match (search.selectors.lead_words)."""
    return Stripped(SearchVector(title or "title", "body", config=F("config")))


class TitlePrefixes(SearchVectorCombinable, Func):
    """PostgreSQL: a ``tsvector`` of every beginning of every word of a title (as written,
    lower-cased, at most ``PREFIX_MAX_LENGTH`` letters), each marked with ``PREFIX_MARK``:
    "Quarterly" gives ``'^q' '^qu' … '^quarterly'``. Search as you type asks for one such
    term (search.query.prefix_term)."""

    template = (
        "array_to_tsvector(ARRAY(SELECT DISTINCT '%(mark)s' || left(word, n) "
        "FROM unnest(tsvector_to_array(to_tsvector('simple'::regconfig, %(expressions)s))) "
        "AS word, generate_series(1, least(length(word), %(longest)d)) AS n))"
    )
    output_field = SearchVectorField()

    def __init__(self, expression, **extra) -> None:
        super().__init__(
            expression,
            mark=text_query.PREFIX_MARK,
            longest=text_query.PREFIX_MAX_LENGTH,
            **extra,
        )


def vectors(*, title: Value | None = None) -> dict[str, Func]:
    """The PostgreSQL columns an entry's vectors are written to: ``vector`` and the title's own
    ``title_vector`` (search as you type: its words, and every beginning of them)."""
    return {
        "vector": vector_expression(title=title),
        "title_vector": SearchVector(title or "title", config=F("config"))
        + TitlePrefixes(title or F("title")),
    }


def entry_update(obj: Model) -> None:
    """Write (or remove) the entry of ``obj`` in the current transaction, and bring the
    entries seen through it up to date."""
    kind = registry.kind_of(obj)
    if kind is None:
        return
    text = kind.extract(obj)
    if text is None:
        SearchEntry.objects.filter(kind=kind.name, object_id=obj.pk).delete()
        dependents_follow(obj, searchable=False)
        return
    # One upsert statement whether or not the entry exists (the FTS5 triggers follow it).
    SearchEntry.objects.bulk_create(
        [entry_of(kind, obj, text, now=timezone.now())],
        update_conflicts=True,
        unique_fields=["kind", "object_id"],
        update_fields=UPDATED_FIELDS,
    )
    if connection.vendor == "postgresql":
        SearchEntry.objects.filter(kind=kind.name, object_id=obj.pk).update(**vectors())
    dependents_follow(obj)


def dependents_follow(obj: Model, *, searchable: bool = True) -> int:
    """Bring the entries titled after ``obj`` (a task's or document's comments, a room's chat
    messages) up to date, in the current transaction: its current title, and its gates, or
    none while ``obj`` itself is out of the index (a document in the trash hides its comments).
    One ``UPDATE`` per kind titled after ``obj``'s model, touching only entries that differ.
    Return how many changed."""
    changed = 0
    own = registry.kind_of(obj)
    for kind in registry.kinds().values():
        for model, lookup, attribute in kind.titled_after:
            if not isinstance(obj, model) or obj.pk is None:
                continue
            title = clean(getattr(obj, attribute), limit=TITLE_MAX_LENGTH)
            gates = list((own.gates if own else gate_ids)(obj)) if searchable else []
            dependents = kind.model._default_manager.filter(**{lookup: obj.pk}).values("pk")
            entries = SearchEntry.objects.filter(kind=kind.name, object_id__in=dependents)
            values: dict = {"title": title}
            stale = ~Q(title=title)
            if connection.vendor == "postgresql":  # the vector from the new title, not the old
                values.update(vectors(title=Value(title)), gates=gates)
                stale |= Q(gates__isnull=True) | ~Q(gates=gates)
            changed += entries.filter(stale).update(**values)
    return changed


def entry_of(kind: registry.Kind, obj: Model, text: registry.Text, *, now) -> SearchEntry:
    return SearchEntry(
        kind=kind.name,
        object_id=obj.pk,
        title=clean(text.title, limit=TITLE_MAX_LENGTH),
        body=clean(text.body),
        config=config_for(text.language),
        path=text.path,
        updated_at=now,
        gates=list(kind.gates(obj)),
    )


def entry_delete(obj: Model) -> None:
    """Remove the entry of ``obj`` (call before deleting its row: the id is read from it)."""
    kind = registry.kind_of(obj)
    if kind is not None and obj.pk is not None:
        SearchEntry.objects.filter(kind=kind.name, object_id=obj.pk).delete()


def entry_deleted(sender, instance: Model, **kwargs) -> None:
    """``post_delete`` of every registered model: the entry goes with its object, also when a
    cascade deletes it (a deleted task's comments, a deleted room's messages), so no entry
    outlives what it shows. The receiver makes Django collect those objects one by one
    instead of deleting them in one statement: a large cascade costs one statement more per
    object."""
    entry_delete(instance)


def entries_write(kind: registry.Kind, objects: list[Model]) -> int:
    """Replace the entries of ``objects`` (one batch of a rebuild); return how many were kept."""
    now = timezone.now()
    rows = []
    for obj in objects:
        text = kind.extract(obj)
        if text is not None:
            rows.append(entry_of(kind, obj, text, now=now))
    ids = [obj.pk for obj in objects]
    SearchEntry.objects.filter(kind=kind.name, object_id__in=ids).delete()
    SearchEntry.objects.bulk_create(rows)
    if connection.vendor == "postgresql" and rows:
        SearchEntry.objects.filter(kind=kind.name, object_id__in=ids).update(**vectors())
    return len(rows)


def orphans_delete(kind: registry.Kind) -> int:
    """Remove the entries of ``kind`` whose object no longer exists; return how many."""
    existing = kind.model._default_manager.values("pk")
    deleted, _ = SearchEntry.objects.filter(kind=kind.name).exclude(object_id__in=existing).delete()
    return deleted
