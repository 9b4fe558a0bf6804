"""Permission classes shared by every app's API."""

from rest_framework.permissions import BasePermission

from nexus_site.definitions.enums import Source


class IsStaffOnAdminPlatform(BasePermission):
    """Allow only staff users calling with ``X-Source: admin``."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and user.is_staff
            and getattr(request, "source", Source.CUSTOMER) == Source.ADMIN
        )
