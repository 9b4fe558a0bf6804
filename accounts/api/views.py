"""The accounts REST API: registration, JWT sessions, the own profile, passwords, personal
access tokens and staff user management. Views parse input, call one service and render the
result."""

from django.contrib.auth import update_session_auth_hash
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import SAFE_METHODS, AllowAny, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import ExpiredTokenError as JWTExpiredTokenError
from rest_framework_simplejwt.exceptions import TokenError

from accounts import selectors, services
from accounts.api import serializers as s
from accounts.api.throttles import AnonSensitiveThrottle, LoginEmailThrottle, LoginIPThrottle
from accounts.authentication import VersionedRefreshToken
from accounts.models import PersonalAccessToken, User
from accounts.permissions import TokenScopePermission
from accounts.token_scopes import ScopeApp
from nexus_site.api.permissions import IsStaffOnAdminPlatform
from nexus_site.api.schema import error_response_schema
from nexus_site.exceptions import BadRequestError, ExpiredTokenError, InvalidTokenError

error = error_response_schema


E400 = error(_("Malformed request, or an invalid or expired token in the body."))
E401 = error(_("Missing, wrong or revoked credentials."))
E403 = error(_("Not allowed."))
E404 = error(_("No such object, or not visible to the caller."))
E409 = error(_("Conflicts with an existing object."))
E415 = error(_("The body has a media type the endpoint does not read."))
E422 = error(_("Invalid data; field messages in details."))
E429 = error(_("Too many requests; see the Retry-After header."))
ANONYMOUS_ERRORS = {400: E400, 415: E415, 422: E422, 429: E429}
SIGNED_IN_ERRORS = {400: E400, 401: E401, 403: E403, 415: E415, 422: E422}
STAFF_ERRORS = {400: E400, 401: E401, 403: E403, 404: E404, 415: E415, 422: E422}


def validated_token_data(serializer, *, as_credentials: bool) -> dict:
    """Validate a serializer built on simplejwt's tokens, turning its TokenError into ours.

    A token that is the caller's credentials (refresh) answers 401; a token that only names
    what to act on (logout) answers 400, so a client does not take it for a lost session.
    """
    try:
        serializer.is_valid(raise_exception=True)
    except TokenError as exc:
        if not as_credentials:
            raise BadRequestError(exc.args[0], code="invalid_token") from exc
        if isinstance(exc, JWTExpiredTokenError):
            raise ExpiredTokenError() from exc
        raise InvalidTokenError(exc.args[0]) from exc
    return serializer.validated_data


class SignedInAPIView(APIView):
    """An endpoint acting on the caller's own account; personal access tokens may not."""

    permission_classes = (IsAuthenticated, TokenScopePermission)
    personal_token_scope = None


class AnonymousAPIView(APIView):
    """An endpoint for callers without an account session; a stale Authorization is ignored."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (AnonSensitiveThrottle,)


# --- Registration and verification ------------------------------------------------------------


class RegisterView(AnonymousAPIView):
    @extend_schema(
        operation_id="auth_register",
        summary=_("Register an account"),
        description=_(
            "Creates an unverified account and e-mails a verification link. The answer is the "
            "same when the address already has an account (its owner is told by e-mail)."
        ),
        request=s.RegisterInputSerializer,
        responses={201: s.RegisterOutputSerializer, **ANONYMOUS_ERRORS},
        auth=[],
    )
    def post(self, request):
        serializer = s.RegisterInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.user_register(**data)
        # Built from the input, never from the result: the answer must not tell new from taken.
        body = {name: data[name] for name in ("email", "first_name", "last_name", "language")}
        body["email_verified"] = False
        return Response(s.RegisterOutputSerializer(body).data, status=status.HTTP_201_CREATED)


class VerifyEmailView(AnonymousAPIView):
    @extend_schema(
        operation_id="auth_verify_email",
        summary=_("Confirm an e-mail address"),
        request=s.TokenInputSerializer,
        responses={200: s.UserOutputSerializer, **ANONYMOUS_ERRORS},
        auth=[],
    )
    def post(self, request):
        serializer = s.TokenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_verify_email(token=serializer.validated_data["token"])
        return Response(s.UserOutputSerializer(user).data)


# --- JWT sessions -----------------------------------------------------------------------------


class TokenObtainView(AnonymousAPIView):
    throttle_classes = (LoginIPThrottle, LoginEmailThrottle)

    @extend_schema(
        operation_id="auth_token_obtain",
        summary=_("Sign in"),
        description=_(
            "Returns an access and a refresh token. Five wrong passwords in a row lock the "
            "account (403 account_locked) until the lockout period passes or staff unlock it."
        ),
        request=s.LoginInputSerializer,
        responses={
            200: s.TokenPairOutputSerializer,
            401: error(_("Wrong e-mail or password.")),
            403: error(_("The account is locked (code account_locked).")),
            **ANONYMOUS_ERRORS,
        },
        auth=[],
    )
    def post(self, request):
        serializer = s.LoginInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_authenticate(request=request, **serializer.validated_data)
        refresh = VersionedRefreshToken.for_user(user)
        body = {"access": str(refresh.access_token), "refresh": str(refresh)}
        return Response(s.TokenPairOutputSerializer(body).data)


class TokenRefreshView(AnonymousAPIView):
    throttle_classes = ()

    @extend_schema(
        operation_id="auth_token_refresh",
        summary=_("Rotate a refresh token"),
        description=_(
            "Returns a new access and refresh token; the refresh token sent stops working."
        ),
        request=s.TokenRefreshInputSerializer,
        responses={
            200: s.TokenPairOutputSerializer,
            401: error(_("The refresh token is invalid, expired, used or revoked.")),
            400: E400,
            415: E415,
            422: E422,
        },
        auth=[],
    )
    def post(self, request):
        serializer = s.TokenRefreshInputSerializer(data=request.data)
        tokens = validated_token_data(serializer, as_credentials=True)
        return Response(s.TokenPairOutputSerializer(tokens).data)


class LogoutView(SignedInAPIView):
    @extend_schema(
        operation_id="auth_logout",
        summary=_("Sign out one session"),
        description=_("Revokes the given refresh token, which must be one of the caller's."),
        request=s.LogoutInputSerializer,
        responses={204: None, **SIGNED_IN_ERRORS},
    )
    def post(self, request):
        serializer = s.LogoutInputSerializer(data=request.data, context={"request": request})
        validated_token_data(serializer, as_credentials=False)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(SignedInAPIView):
    @extend_schema(
        operation_id="auth_logout_all",
        summary=_("Sign out everywhere"),
        description=_("Every access and refresh token issued to the caller stops working."),
        request=None,
        responses={204: None, 401: E401, 403: E403},
    )
    def post(self, request):
        services.user_revoke_tokens(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Own profile ------------------------------------------------------------------------------


class MeView(SignedInAPIView):
    personal_token_scope = ScopeApp.ACCOUNTS

    @extend_schema(
        operation_id="auth_me_retrieve",
        summary=_("The signed-in user"),
        responses={200: s.UserOutputSerializer, 401: E401, 403: E403},
    )
    def get(self, request):
        return Response(s.UserOutputSerializer(request.user).data)

    @extend_schema(
        operation_id="auth_me_update",
        summary=_("Change the own profile"),
        description=_(
            "Only first_name, last_name, language, time_zone and preferences can change."
        ),
        request=s.ProfileUpdateInputSerializer(partial=True),
        responses={200: s.UserOutputSerializer, **SIGNED_IN_ERRORS},
    )
    def patch(self, request):
        serializer = s.ProfileUpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.user_update_profile(user=request.user, **serializer.validated_data)
        return Response(s.UserOutputSerializer(user).data)


# --- Passwords --------------------------------------------------------------------------------


class PasswordChangeView(SignedInAPIView):
    @extend_schema(
        operation_id="auth_password_change",
        summary=_("Change the password"),
        description=_(
            "Every token issued before stops working; a session cookie used for this call "
            "stays signed in."
        ),
        request=s.PasswordChangeInputSerializer,
        responses={204: None, **SIGNED_IN_ERRORS},
    )
    def post(self, request):
        serializer = s.PasswordChangeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_password_change(user=request.user, **serializer.validated_data)
        if isinstance(request.successful_authenticator, SessionAuthentication):
            update_session_auth_hash(request, user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetView(AnonymousAPIView):
    @extend_schema(
        operation_id="auth_password_reset",
        summary=_("Ask for a password reset link"),
        description=_(
            "Always answers 204; the link is e-mailed only when the address has an account."
        ),
        request=s.PasswordResetInputSerializer,
        responses={204: None, **ANONYMOUS_ERRORS},
        auth=[],
    )
    def post(self, request):
        serializer = s.PasswordResetInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.password_reset_request(email=serializer.validated_data["email"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetConfirmView(AnonymousAPIView):
    @extend_schema(
        operation_id="auth_password_reset_confirm",
        summary=_("Set a new password from a reset link"),
        description=_("The link works once; every token issued before stops working."),
        request=s.PasswordResetConfirmInputSerializer,
        responses={204: None, **ANONYMOUS_ERRORS},
        auth=[],
    )
    def post(self, request):
        serializer = s.PasswordResetConfirmInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.password_reset_confirm(**serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Personal access tokens -------------------------------------------------------------------

PERSONAL_TOKEN_REFUSED = error(
    _("A personal access token cannot use this endpoint (code personal_token_refused).")
)


class PersonalTokenListView(SignedInAPIView, GenericAPIView):
    serializer_class = s.PersonalTokenOutputSerializer
    filter_backends = ()  # the own tokens are few; newest first

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PersonalAccessToken.objects.none()
        return selectors.personal_token_list(actor=self.request.user)

    @extend_schema(
        operation_id="auth_tokens_list",
        summary=_("List the own personal access tokens"),
        description=_(
            "Tokens that are not revoked, expired ones included, newest first. The secret is "
            "never part of the answer."
        ),
        responses={
            200: s.PersonalTokenOutputSerializer(many=True),
            401: E401,
            403: PERSONAL_TOKEN_REFUSED,
        },
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.PersonalTokenOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="auth_tokens_create",
        summary=_("Create a personal access token"),
        description=_(
            "The answer holds the token itself, once: send it as Authorization: Bearer. Nexus "
            "keeps only a hash. The token acts as the caller within its scopes, until it "
            "expires or is revoked; logging out everywhere and a new password revoke it too."
        ),
        request=s.PersonalTokenCreateInputSerializer,
        responses={
            201: s.PersonalTokenCreatedOutputSerializer,
            **SIGNED_IN_ERRORS,
            403: PERSONAL_TOKEN_REFUSED,
        },
    )
    def post(self, request):
        serializer = s.PersonalTokenCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = services.personal_token_create(owner=request.user, **serializer.validated_data)
        body = s.PersonalTokenCreatedOutputSerializer(created.token).data
        body["token"] = created.secret
        response = Response(body, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response


class PersonalTokenDetailView(SignedInAPIView):
    @extend_schema(
        operation_id="auth_tokens_retrieve",
        summary=_("One own personal access token"),
        responses={
            200: s.PersonalTokenOutputSerializer,
            401: E401,
            403: PERSONAL_TOKEN_REFUSED,
            404: E404,
        },
    )
    def get(self, request, token_id):
        token = selectors.personal_token_get(actor=request.user, token_id=token_id)
        return Response(s.PersonalTokenOutputSerializer(token).data)

    @extend_schema(
        operation_id="auth_tokens_update",
        summary=_("Rename a personal access token"),
        description=_("Only the name can change; scopes and expiry are fixed when it is made."),
        request=s.PersonalTokenUpdateInputSerializer,
        responses={
            200: s.PersonalTokenOutputSerializer,
            **SIGNED_IN_ERRORS,
            403: PERSONAL_TOKEN_REFUSED,
            404: E404,
        },
    )
    def patch(self, request, token_id):
        token = selectors.personal_token_get(actor=request.user, token_id=token_id)
        serializer = s.PersonalTokenUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = services.personal_token_rename(token=token, **serializer.validated_data)
        return Response(s.PersonalTokenOutputSerializer(token).data)

    @extend_schema(
        operation_id="auth_tokens_revoke",
        summary=_("Revoke a personal access token"),
        description=_("The token stops working at once and leaves the list."),
        request=None,
        responses={204: None, 401: E401, 403: PERSONAL_TOKEN_REFUSED, 404: E404},
    )
    def delete(self, request, token_id):
        token = selectors.personal_token_get(actor=request.user, token_id=token_id)
        services.personal_token_revoke(token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Staff user management --------------------------------------------------------------------


class CanChangeAccountsOrReadOnly(BasePermission):
    """Let every staff member read accounts; changing them needs the accounts permission."""

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or request.user.has_perm("accounts.change_user")


class StaffAPIView(GenericAPIView):
    permission_classes = (IsStaffOnAdminPlatform, CanChangeAccountsOrReadOnly, TokenScopePermission)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no real request
            return User.objects.none()
        return selectors.user_list(actor=self.request.user)


class AdminUserListView(StaffAPIView):
    serializer_class = s.AdminUserOutputSerializer
    filterset_fields = ("role", "is_active", "email_verified")
    search_fields = ("email", "first_name", "last_name")
    ordering_fields = ("email", "first_name", "last_name", "role", "created_at", "last_login")
    ordering = ("email",)

    @extend_schema(
        operation_id="admin_users_list",
        summary=_("List users"),
        responses={200: s.AdminUserOutputSerializer(many=True), 401: E401, 403: E403},
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(s.AdminUserOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="admin_users_create",
        summary=_("Create a user"),
        request=s.AdminUserCreateInputSerializer,
        responses={
            201: s.AdminUserOutputSerializer,
            400: E400,
            401: E401,
            403: E403,
            409: E409,
            415: E415,
            422: E422,
        },
    )
    def post(self, request):
        serializer = s.AdminUserCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_create(**{"password": None, **serializer.validated_data})
        return Response(s.AdminUserOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class AdminUserDetailView(StaffAPIView):
    @extend_schema(
        operation_id="admin_users_retrieve",
        summary=_("One user"),
        responses={200: s.AdminUserOutputSerializer, 401: E401, 403: E403, 404: E404},
    )
    def get(self, request, user_id):
        user = selectors.user_get(actor=request.user, user_id=user_id)
        return Response(s.AdminUserOutputSerializer(user).data)

    @extend_schema(
        operation_id="admin_users_update",
        summary=_("Change a user's role, active flag or names"),
        description=_("Deactivating a user revokes all of their tokens."),
        request=s.AdminUserUpdateInputSerializer(partial=True),
        responses={200: s.AdminUserOutputSerializer, **STAFF_ERRORS},
    )
    def patch(self, request, user_id):
        user = selectors.user_get(actor=request.user, user_id=user_id)
        serializer = s.AdminUserUpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.user_update_by_staff(
            user=user, actor=request.user, **serializer.validated_data
        )
        return Response(s.AdminUserOutputSerializer(user).data)


class AdminUserUnlockView(StaffAPIView):
    @extend_schema(
        operation_id="admin_users_unlock",
        summary=_("Lift a login lockout"),
        request=None,
        responses={200: s.AdminUserOutputSerializer, 401: E401, 403: E403, 404: E404},
    )
    def post(self, request, user_id):
        user = selectors.user_get(actor=request.user, user_id=user_id)
        user = services.user_unlock(user=user, actor=request.user)
        return Response(s.AdminUserOutputSerializer(user).data)
