"""``{% task_attachments task %}``: the files attached to a task, with download links and, for
who may edit the task, the forms to upload a new file or pick one of theirs, and to remove one.

Drawn by the task page without projects importing workspace; read through
task_attachments.selectors in a constant number of queries whatever the number of files.
"""

from django import template

from nexus_site.definitions.enums import Permission
from relations.access import permission_on, permits
from relations.nodes import node_of
from workspace.task_attachments import selectors

register = template.Library()


@register.inclusion_tag("workspace/task_attachments/_list.html", takes_context=True)
def task_attachments(context, task):
    """Return what ``workspace/task_attachments/_list.html`` draws for ``task``, as the page's
    user sees it (the page has already let them see the task)."""
    request = context["request"]
    level = permission_on(request.user, node_of(task))
    can_edit = level is not None and permits(level, Permission.EDIT)
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "task": task,
        "attachments": list(selectors.task_attachments(task)),
        "can_edit": can_edit,
        "files": selectors.files_to_attach(request.user, task) if can_edit else [],
    }
