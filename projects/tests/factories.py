import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from nexus_site.definitions.enums import MemberRole, RelationType
from projects import services
from projects.models import Project, Task, TaskDependency, TaskStatus
from relations.nodes import node_of
from relations.services import relationship_record


class ProjectFactory(factory.django.DjangoModelFactory):
    """A project with its owner relationship, as project_create leaves it."""

    class Meta:
        model = Project
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Project {n}")
    owner = factory.SubFactory(UserFactory)

    @factory.post_generation
    def owner_edge(obj, create, extracted, **kwargs):
        if create:
            relationship_record(
                source=node_of(obj.owner), target=node_of(obj), type=RelationType.OWNER
            )


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Task {n}")
    reporter = factory.LazyAttribute(lambda task: task.project.owner)
    status = TaskStatus.TODO
    completed_at = factory.LazyAttribute(
        lambda task: timezone.now() if task.status == TaskStatus.DONE else None
    )


class TaskDependencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaskDependency

    task = factory.SubFactory(TaskFactory)
    depends_on = factory.SubFactory(TaskFactory, project=factory.SelfAttribute("..task.project"))


def add_member(project: Project, role: str = MemberRole.MEMBER, user=None):
    """Return a user (new unless given) made a ``role`` member of ``project`` by its owner."""
    user = user or UserFactory()
    services.project_member_add(actor=project.owner, project=project, user=user, role=role)
    return user
