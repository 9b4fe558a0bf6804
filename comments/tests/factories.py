"""Comments made the way users make them: through the services, on a target as its author
sees it."""

from comments import services
from comments.models import Comment
from comments.selectors import decided


def comment_on(obj, author, body: str = "A comment", **kwargs) -> Comment:
    """Return a comment ``author`` posted on ``obj`` (a task or a document)."""
    return services.comment_create(
        actor=author, target=decided(author, obj), body=body, **kwargs
    ).comment
