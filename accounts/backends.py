"""The authentication backend behind every ``authenticate()``: the token endpoint, the login
page, ``/admin/login/`` and any backend-driven way in added later all count failures here and
refuse a locked account, even with the right password."""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from accounts import services
from accounts.models import User
from nexus_site.exceptions import AccountLockedError, AuthenticationError


class LockoutBackend(ModelBackend):
    """Check an e-mail address and password through the lockout service."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        email = username if username is not None else kwargs.get(User.USERNAME_FIELD)
        if not isinstance(email, str) or not isinstance(password, str):
            return None  # not a password login: another backend's business
        try:
            return services.user_check_credentials(email=email, password=password)
        except AccountLockedError as exc:
            # PermissionDenied stops authenticate() from asking any other backend.
            raise PermissionDenied(exc.message) from exc
        except AuthenticationError:
            return None
