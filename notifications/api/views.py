"""The notifications API: my notifications newest first by cursor, the unread count, mark one
read, mark all read. Only ever the caller's own: anyone else's answers 404."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from nexus_site.api.handler import drf_details
from nexus_site.api.pagination import NewestFirstCursorPagination
from nexus_site.api.schema import error_response_schema
from nexus_site.exceptions import BadRequestError
from notifications import selectors, services
from notifications.api import serializers as s
from notifications.models import Notification

E400 = error_response_schema(_("unread is not a boolean, or the cursor is not one of ours."))
E401 = error_response_schema(_("Not signed in."))
E404 = error_response_schema(_("No such notification, or not the caller's."))
TAGS = ["notifications"]


class NotificationCursorPagination(NewestFirstCursorPagination):
    """Newest first; follow ``next`` for older ones."""


class NotificationListView(GenericAPIView):
    queryset = Notification.objects.none()
    serializer_class = s.NotificationOutputSerializer
    pagination_class = NotificationCursorPagination
    filter_backends: list = []

    @extend_schema(
        operation_id="notifications_list",
        tags=TAGS,
        summary=_("My notifications, newest first, by cursor (?cursor=&limit=&unread=)"),
        parameters=[s.NotificationListQuerySerializer],
        responses={200: s.NotificationOutputSerializer(many=True), 400: E400, 401: E401},
    )
    def get(self, request):
        query = s.NotificationListQuerySerializer(data=request.query_params)
        if not query.is_valid():
            raise BadRequestError(details=drf_details(query.errors))
        mine = selectors.notifications_of(request.user, unread=query.validated_data["unread"])
        page = self.paginate_queryset(mine)
        return self.get_paginated_response(s.NotificationOutputSerializer(page, many=True).data)


class UnreadCountView(APIView):
    @extend_schema(
        operation_id="notifications_unread_count",
        tags=TAGS,
        summary=_("How many of my notifications are unread"),
        responses={200: s.UnreadCountOutputSerializer, 401: E401},
    )
    def get(self, request):
        return Response({"unread": selectors.unread_count(request.user)})


class NotificationReadView(APIView):
    @extend_schema(
        operation_id="notifications_read",
        tags=TAGS,
        summary=_("Mark one of my notifications read"),
        request=None,
        responses={200: s.NotificationOutputSerializer, 401: E401, 404: E404},
    )
    def post(self, request, notification_id):
        notification = selectors.notification_get(request.user, notification_id)
        notification = services.notification_read(actor=request.user, notification=notification)
        return Response(s.NotificationOutputSerializer(notification).data)


class ReadAllView(APIView):
    @extend_schema(
        operation_id="notifications_read_all",
        tags=TAGS,
        summary=_("Mark all my notifications read"),
        request=None,
        responses={200: s.ReadAllOutputSerializer, 401: E401},
    )
    def post(self, request):
        return Response({"marked": services.notifications_read_all(actor=request.user)})
