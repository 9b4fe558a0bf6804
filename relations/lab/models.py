"""Stand-in models of the graph lab: Space > Page > Thread > Comment by foreign key, and
spaces and pages nested by parent edges."""

from django.db import models

from nexus_site.ids import uuid7


class LabNode(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    name = models.CharField(max_length=200)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name


class Space(LabNode):
    pass


class Page(LabNode):
    space = models.ForeignKey(Space, null=True, blank=True, on_delete=models.CASCADE)


class Thread(LabNode):
    page = models.ForeignKey(Page, on_delete=models.CASCADE)


class Comment(LabNode):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE)
