from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["NodeIdsField", "SearchEntry"]

TITLE_MAX_LENGTH = 300


class NodeIdsField(ArrayField):
    """A ``uuid[]`` of node ids on PostgreSQL; elsewhere a text column that stays empty.

    SQLite has no arrays (and cannot parse the ``[]`` of the type): there the search applies
    each kind's own rule in SQL instead, so the column is only there to keep one schema.
    """

    def __init__(self, **kwargs) -> None:
        kwargs.pop("base_field", None)
        super().__init__(models.UUIDField(), **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("base_field", None)
        return name, path, args, kwargs

    def db_type(self, connection) -> str:
        return super().db_type(connection) if connection.vendor == "postgresql" else "text"

    def cast_db_type(self, connection) -> str:
        return super().cast_db_type(connection) if connection.vendor == "postgresql" else "text"

    def get_placeholder(self, value, compiler, connection) -> str:
        if connection.vendor != "postgresql":
            return "%s"
        return super().get_placeholder(value, compiler, connection)

    def get_db_prep_value(self, value, connection, prepared=False):
        if connection.vendor != "postgresql":
            return None
        return super().get_db_prep_value(value, connection, prepared)


class SearchEntry(models.Model):
    """How one object reads to the search: its kind, id, title, text and language.

    Derived data, rebuilt at will (``manage.py rebuild_search_index``), so its key is an
    integer: SQLite's FTS5 table uses it as its rowid.
    """

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(_("kind"), max_length=16)
    object_id = models.UUIDField(_("object id"))
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    body = models.TextField(_("text"), blank=True)
    # A PostgreSQL text search configuration name (search.texts.CONFIGS).
    config = models.CharField(_("text search configuration"), max_length=16, default="simple")
    # The page that shows the object, the same for everyone who may see it.
    path = models.CharField(_("page"), max_length=300)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    # PostgreSQL only (GIN-indexed by the migration); stays empty on SQLite, where FTS5 indexes.
    vector = SearchVectorField(null=True, editable=False)
    # PostgreSQL only: the title's own (unweighted) vector, GIN-indexed, for titles-only search.
    title_vector = SearchVectorField(null=True, editable=False)
    # PostgreSQL only (GIN-indexed): the ids of the nodes through which a person may see the
    # object (search.registry.Kind.gates): the object's own and its structural parents'
    # (relations.access.gate_ids), its room's for a chat message, its task's or document's for
    # a comment (none while that document is in the trash), its holders' user ids for mail.
    # The search keeps the entries with one of the caller's reachable containers (or their own
    # id) here.
    gates = NodeIdsField(null=True, editable=False)

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id"], name="search_entry_one_per_object"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"
