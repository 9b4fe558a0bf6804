from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Projects")

    def ready(self) -> None:
        from django.contrib.auth import get_user_model

        from nexus_site.definitions.enums import RelationType
        from projects import panels
        from projects.models import Project, Task
        from relations.registry import registry

        user = get_user_model()
        registry.register_model(Project)
        # A task's project is its structural parent: project members reach its tasks.
        registry.register_model(Task, structural_parents=("project",))
        registry.allow(RelationType.OWNER, user, Project)
        registry.allow(RelationType.MEMBER, user, Project)
        registry.allow(RelationType.LINKED, Project, Project)
        registry.allow(RelationType.PARENT, Project, Project)  # sub-projects
        registry.check()
        panels.register()
