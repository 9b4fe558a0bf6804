"""Objects made through the write services, so the index follows them as it does for users."""

from projects import services as project_services


def project_of(owner, name: str = "Apollo", description: str = ""):
    return project_services.project_create(actor=owner, name=name, description=description)


def task_in(project, actor, title: str = "Task", description: str = "", tags=()):
    return project_services.task_create(
        actor=actor, project=project, title=title, description=description, tags=tags
    )
