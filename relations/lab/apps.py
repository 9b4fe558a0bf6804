"""The graph lab: small stand-in models (spaces, pages, threads, comments) that give the engine
real structural parents to work on in tests and in the bench, before the domain apps exist and
independently of them. Loaded only when ``NEXUS_GRAPH_LAB`` is set (the test suite and
``bench/`` set it); it has no migrations, so its tables exist only in test and bench databases.
"""

from django.apps import AppConfig


class LabConfig(AppConfig):
    name = "relations.lab"
    label = "graphlab"
    verbose_name = "Graph lab"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model

        from nexus_site.definitions.enums import RelationType
        from relations.lab.models import Comment, Page, Space, Thread
        from relations.registry import registry

        user = get_user_model()
        registry.register_model(Space)
        registry.register_model(Page, structural_parents=("space",))
        registry.register_model(Thread, structural_parents=("page",))
        registry.register_model(Comment, structural_parents=("thread",))
        registry.allow(RelationType.PARENT, Space, Space)
        registry.allow(RelationType.PARENT, Space, Page)
        registry.allow(RelationType.PARENT, Page, Page)
        registry.allow(RelationType.LINKED, Page, Page)
        for model in (Space, Page, Thread):
            registry.allow(RelationType.OWNER, user, model)
            registry.allow(RelationType.MEMBER, user, model)
        registry.check()
