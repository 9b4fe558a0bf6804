"""The webhooks API, mounted at /api/v1/webhooks/: subscriptions (the secret shown once at
creation), their delivery log by cursor, redelivery and ping; incoming webhook URLs. Only ever
the caller's own: anyone else's answers 404. And the incoming call itself, /hooks/in/<token>/.
"""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from nexus_site.api.pagination import NewestFirstCursorPagination
from nexus_site.api.parsers import parsed
from nexus_site.api.schema import error_response_schema
from webhooks import selectors, services
from webhooks.api import serializers as s
from webhooks.models import IncomingWebhook, WebhookDelivery, WebhookSubscription

E400 = error_response_schema(_("The body is not JSON, or not what the pattern takes."))
E401 = error_response_schema(_("Not signed in."))
E403 = error_response_schema(_("The caller may not do this."))
E404 = error_response_schema(_("No such webhook, or not the caller's."))
E422 = error_response_schema(_("Invalid data; field messages in details."))
E429 = error_response_schema(_("Too many calls to this URL; try again later."))
TAGS = ["webhooks"]


class DeliveryCursorPagination(NewestFirstCursorPagination):
    """Newest first; follow ``next`` for older ones."""


class SubscriptionListView(GenericAPIView):
    queryset = WebhookSubscription.objects.none()
    serializer_class = s.SubscriptionOutputSerializer
    filter_backends: list = []

    @extend_schema(
        operation_id="webhooks_list",
        tags=TAGS,
        summary=_("My webhook subscriptions, newest first (?limit=&offset=)"),
        responses={200: s.SubscriptionOutputSerializer(many=True), 401: E401},
    )
    def get(self, request):
        page = self.paginate_queryset(selectors.subscriptions_of(request.user))
        return self.get_paginated_response(s.SubscriptionOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="webhooks_create",
        tags=TAGS,
        summary=_("Subscribe a URL to events; the answer holds the signing secret, once"),
        request=s.SubscriptionCreateInputSerializer,
        responses={201: s.SubscriptionCreatedOutputSerializer, 401: E401, 422: E422},
    )
    def post(self, request):
        data = parsed(s.SubscriptionCreateInputSerializer, request)
        subscription = services.subscription_create(actor=request.user, **data)
        return Response(s.SubscriptionCreatedOutputSerializer(subscription).data, status=201)


class SubscriptionDetailView(APIView):
    @extend_schema(
        operation_id="webhooks_retrieve",
        tags=TAGS,
        responses={200: s.SubscriptionOutputSerializer, 401: E401, 404: E404},
    )
    def get(self, request, webhook_id):
        subscription = selectors.subscription_get(request.user, webhook_id)
        return Response(s.SubscriptionOutputSerializer(subscription).data)

    @extend_schema(
        operation_id="webhooks_partial_update",
        tags=TAGS,
        summary=_("Change a webhook; is_active true turns a disabled one on again"),
        request=s.SubscriptionUpdateInputSerializer,
        responses={200: s.SubscriptionOutputSerializer, 401: E401, 404: E404, 422: E422},
    )
    def patch(self, request, webhook_id):
        subscription = selectors.subscription_get(request.user, webhook_id)
        data = parsed(s.SubscriptionUpdateInputSerializer, request, partial=True)
        subscription = services.subscription_update(
            actor=request.user, subscription=subscription, **data
        )
        return Response(s.SubscriptionOutputSerializer(subscription).data)

    @extend_schema(
        operation_id="webhooks_destroy",
        tags=TAGS,
        summary=_("Delete a webhook and its delivery log"),
        responses={204: None, 401: E401, 404: E404},
    )
    def delete(self, request, webhook_id):
        subscription = selectors.subscription_get(request.user, webhook_id)
        services.subscription_delete(actor=request.user, subscription=subscription)
        return Response(status=204)


class PingView(APIView):
    @extend_schema(
        operation_id="webhooks_ping",
        tags=TAGS,
        summary=_("Send a test delivery (event type ping) now"),
        request=None,
        responses={202: s.DeliveryOutputSerializer, 401: E401, 404: E404},
    )
    def post(self, request, webhook_id):
        subscription = selectors.subscription_get(request.user, webhook_id)
        ping = services.subscription_ping(actor=request.user, subscription=subscription)
        return Response(s.DeliveryOutputSerializer(ping).data, status=202)


class DeliveryListView(GenericAPIView):
    queryset = WebhookDelivery.objects.none()
    serializer_class = s.DeliveryOutputSerializer
    pagination_class = DeliveryCursorPagination
    filter_backends: list = []

    @extend_schema(
        operation_id="webhooks_deliveries_list",
        tags=TAGS,
        summary=_("A webhook's deliveries, newest first, by cursor (?cursor=&limit=)"),
        responses={200: s.DeliveryOutputSerializer(many=True), 400: E400, 401: E401, 404: E404},
    )
    def get(self, request, webhook_id):
        subscription = selectors.subscription_get(request.user, webhook_id)
        page = self.paginate_queryset(selectors.deliveries_of(subscription))
        return self.get_paginated_response(s.DeliveryOutputSerializer(page, many=True).data)


class DeliveryDetailView(APIView):
    @extend_schema(
        operation_id="webhooks_deliveries_retrieve",
        tags=TAGS,
        summary=_("One delivery with its payload and the start of the last answer"),
        responses={200: s.DeliveryDetailOutputSerializer, 401: E401, 404: E404},
    )
    def get(self, request, webhook_id, delivery_id):
        subscription = selectors.subscription_get(request.user, webhook_id)
        delivery = selectors.delivery_get(subscription, delivery_id)
        return Response(s.DeliveryDetailOutputSerializer(delivery).data)


class RedeliverView(APIView):
    @extend_schema(
        operation_id="webhooks_deliveries_redeliver",
        tags=TAGS,
        summary=_("Send a delivery again, as a new delivery of the same event"),
        description=_("403 when you may no longer see the event."),
        request=None,
        responses={202: s.DeliveryOutputSerializer, 401: E401, 403: E403, 404: E404},
    )
    def post(self, request, webhook_id, delivery_id):
        subscription = selectors.subscription_get(request.user, webhook_id)
        delivery = selectors.delivery_get(subscription, delivery_id)
        again = services.delivery_redeliver(actor=request.user, delivery=delivery)
        return Response(s.DeliveryOutputSerializer(again).data, status=202)


def incoming_url(request, token: str) -> str:
    return request.build_absolute_uri(reverse("incoming-webhooks:call", args=[token]))


class IncomingListView(GenericAPIView):
    queryset = IncomingWebhook.objects.none()
    serializer_class = s.IncomingOutputSerializer
    filter_backends: list = []

    @extend_schema(
        operation_id="webhooks_incoming_list",
        tags=TAGS,
        summary=_("My incoming webhook URLs, newest first (?limit=&offset=)"),
        responses={200: s.IncomingOutputSerializer(many=True), 401: E401},
    )
    def get(self, request):
        page = self.paginate_queryset(selectors.incoming_of(request.user))
        return self.get_paginated_response(s.IncomingOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="webhooks_incoming_create",
        tags=TAGS,
        summary=_("Make a URL that starts a pattern as you; the URL is shown once"),
        request=s.IncomingCreateInputSerializer,
        responses={201: s.IncomingCreatedOutputSerializer, 401: E401, 403: E403, 422: E422},
    )
    def post(self, request):
        data = parsed(s.IncomingCreateInputSerializer, request)
        hook, token = services.incoming_create(actor=request.user, **data)
        hook.url = incoming_url(request, token)
        return Response(s.IncomingCreatedOutputSerializer(hook).data, status=201)


class IncomingDetailView(APIView):
    @extend_schema(
        operation_id="webhooks_incoming_retrieve",
        tags=TAGS,
        responses={200: s.IncomingOutputSerializer, 401: E401, 404: E404},
    )
    def get(self, request, hook_id):
        return Response(
            s.IncomingOutputSerializer(selectors.incoming_get(request.user, hook_id)).data
        )

    @extend_schema(
        operation_id="webhooks_incoming_revoke",
        tags=TAGS,
        summary=_("Revoke an incoming webhook URL: its calls answer 404 from now on"),
        responses={204: None, 401: E401, 404: E404},
    )
    def delete(self, request, hook_id):
        hook = selectors.incoming_get(request.user, hook_id)
        services.incoming_revoke(actor=request.user, hook=hook)
        return Response(status=204)


class IncomingCallThrottle(SimpleRateThrottle):
    """Calls per incoming URL (keyed by the token's hash), at ``WEBHOOKS_INCOMING_RATE``."""

    scope = "incoming_webhook"

    def get_rate(self) -> str:
        return settings.WEBHOOKS_INCOMING_RATE

    def get_cache_key(self, request, view) -> str:
        token = view.kwargs.get("token", "")
        return self.cache_format % {"scope": self.scope, "ident": services.token_hash(token)}


class IncomingCallView(APIView):
    """No session, no JWT, no CSRF: the token in the URL (and the signature, when the hook
    requires one) is the credential."""

    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes = [IncomingCallThrottle]
    parser_classes: list = []

    @extend_schema(
        operation_id="webhooks_incoming_call",
        tags=TAGS,
        summary=_("Start the hook's pattern with the JSON body as input"),
        description=_(
            "Optional headers: X-Nexus-Signature (required when the hook is signed), "
            "Idempotency-Key (the same key starts one run)."
        ),
        auth=[],
        request={"application/json": {"type": "object", "additionalProperties": True}},
        parameters=[
            OpenApiParameter("X-Nexus-Signature", str, OpenApiParameter.HEADER, required=False),
            OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False),
        ],
        responses={202: s.IncomingCallOutputSerializer, 400: E400, 401: E401, 404: E404, 429: E429},
    )
    def post(self, request, token):
        execution, created = services.incoming_receive(
            token=token,
            body=request.body,
            signature_header=request.headers.get("X-Nexus-Signature", ""),
            idempotency_key=request.headers.get("Idempotency-Key", "")[:150],
        )
        return Response(
            {"execution": execution.pk, "status": execution.status, "created": created},
            status=202,
        )
