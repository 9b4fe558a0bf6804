"""``{% comments_thread task %}`` / ``{% comments_thread document %}``: the comments of a task or
a document, with the forms to post, reply, edit and delete, on any page that shows one.

The thread is read through comments.selectors (a constant number of queries whatever its
length), so the pages that include it need no change in their views.
"""

from django import template
from django.urls import reverse

from comments import selectors, services
from nexus_site.definitions.enums import Permission

register = template.Library()


@register.inclusion_tag("comments/_thread.html", takes_context=True)
def comments_thread(context, obj):
    """Return what ``comments/_thread.html`` draws for ``obj``, as the page's user sees it."""
    request = context["request"]
    user = request.user
    target = selectors.decided(user, obj)
    comments = list(selectors.thread_comments(target, with_revisions=True))
    for comment in comments:
        comment.html = selectors.body_html(comment)
        comment.mine = comment.author_id is not None and comment.author_id == user.pk
        comment.reply_form_id = f"reply-{comment.pk}"
    can_comment = target.may(Permission.COMMENT)
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "target": target,
        "threads": selectors.threaded(comments),
        "comment_count": sum(1 for comment in comments if not comment.is_deleted),
        "can_comment": can_comment,
        "can_manage": target.may(Permission.MANAGE),
        "files": selectors.files_to_attach(user) if can_comment else [],
        "post_url": reverse(f"comments:{target.kind}-create", args=[obj.pk]),
        "people_url": reverse(f"comments-api:{target.kind}-comment-people", args=[obj.pk]),
        "max_length": services.MAX_BODY_LENGTH,
    }
