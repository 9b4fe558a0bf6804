from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["SearchEntry"]

TITLE_MAX_LENGTH = 300


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
