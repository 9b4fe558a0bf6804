"""Nexus settings: one module, every deployment difference read from the environment.

With no environment at all (the embedded default) Nexus runs on SQLite under ``var/``,
local-memory cache, eager Celery and the in-memory channel layer. ``DATABASE_URL`` and
``REDIS_URL`` switch to PostgreSQL and Redis. See README.md for the full table.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from nexus_site.definitions import constants

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("NEXUS_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
SECRET_KEY_CONFIGURED = bool(SECRET_KEY)
if not SECRET_KEY_CONFIGURED:
    # Development gets a fixed key. Production gets a throw-away one, so offline commands
    # (makemigrations, migrate, compilemessages) still run; every serving process refuses to
    # start on it (nexus_site.startup) and `check --deploy` reports it.
    SECRET_KEY = (
        "insecure-development-key-set-DJANGO_SECRET_KEY-in-production"
        if DEBUG
        else f"unconfigured-{secrets.token_urlsafe(48)}"
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "csp",
    "channels",
    "nexus_site.apps.NexusSiteConfig",
    "nexus_site.events.apps.EventsConfig",
    "accounts.apps.AccountsConfig",
    "relations.apps.RelationsConfig",
    "projects.apps.ProjectsConfig",
    "workspace.apps.WorkspaceConfig",
    "patterns.apps.PatternsConfig",
    "comments.apps.CommentsConfig",
    "search.apps.SearchConfig",
    "notifications.apps.NotificationsConfig",
    "webhooks.apps.WebhooksConfig",
]
if env_bool("NEXUS_GRAPH_LAB", False):
    # Stand-in graph models for the test suite and bench/ only (see relations/lab/apps.py).
    INSTALLED_APPS.append("relations.lab.apps.LabConfig")

MIDDLEWARE = [
    # An id for each request (X-Request-ID), then its metrics and log line (docs/OPERATIONS.md).
    "nexus_site.request_id.RequestIdMiddleware",
    "nexus_site.http_metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy on every answer (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "nexus_site.middleware.RequestContextMiddleware",
    # A cache or broker outage in a page answers 503, as the API handler does.
    "nexus_site.outages.OutageMiddleware",
]

# bench/http.py's server adds a bare JSON view (its peer); production URLs never have it.
ROOT_URLCONF = (
    "nexus_site.bench_urls" if env_bool("NEXUS_BENCH_VIEWS", False) else "nexus_site.urls"
)
WSGI_APPLICATION = "nexus_site.wsgi.application"
ASGI_APPLICATION = "nexus_site.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=0, conn_health_checks=False)
    if _db["ENGINE"] == "django.db.backends.postgresql":
        # psycopg 3 with Django's own connection pool; CONN_MAX_AGE must stay 0 with it.
        _db.setdefault("OPTIONS", {})["pool"] = {
            "min_size": int(os.environ.get("DATABASE_POOL_MIN", "1")),
            "max_size": int(os.environ.get("DATABASE_POOL_MAX", "10")),
            # Seconds a request waits for a free connection; past it the pool raises
            # PoolTimeout and the request answers 503 with Retry-After (nexus_site.outages).
            # Keep gunicorn's threads per worker <= max_size (gunicorn.conf.py refuses more).
            "timeout": float(os.environ.get("DATABASE_POOL_TIMEOUT", "10")),
        }
        if env_bool("DATABASE_PREPARED_STATEMENTS", True):
            # Server-side binding lets psycopg prepare a statement once it has run a few times,
            # which saves planning the hot queries: the relations access check runs on every
            # request and meets its 1 ms target only this way (docs/PERFORMANCE.md). Set it to
            # false behind a transaction-mode pooler (PgBouncer before 1.21), which cannot keep
            # prepared statements.
            _db["OPTIONS"]["server_side_binding"] = True
            _db["OPTIONS"]["prepare_threshold"] = int(
                os.environ.get("DATABASE_PREPARE_THRESHOLD", "2")
            )
        # Set to false behind a transaction-mode pooler (PgBouncer): a server-side cursor (what
        # QuerySet.iterator() opens) lives on one server connection, the next fetch may not.
        _db["DISABLE_SERVER_SIDE_CURSORS"] = not env_bool("DATABASE_SERVER_SIDE_CURSORS", True)
    DATABASES = {"default": _db}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "nexus.sqlite3",
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Celery, channel layer --------------------------------------------------------

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "nexus"),
        }
    }
    # channels-redis waits for a socket's next message with a 5 s blocking pop; redis-py 8
    # stops reading a connection after its default 5 s socket timeout, which crashed every idle
    # socket (close 1011). The read timeout must outlast that wait; it still ends a read from a
    # Redis that stopped answering. Keepalive lets the kernel notice a dead peer too.
    CHANNEL_LAYER_SOCKET_TIMEOUT = float(os.environ.get("CHANNEL_LAYER_SOCKET_TIMEOUT", "30"))
    if CHANNEL_LAYER_SOCKET_TIMEOUT <= 10:
        raise ImproperlyConfigured(
            "CHANNEL_LAYER_SOCKET_TIMEOUT must be longer than 10 seconds (the channel layer "
            "blocks for 5 s waiting for a message)."
        )
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": CHANNEL_LAYER_SOCKET_TIMEOUT,
                        "socket_connect_timeout": 5,
                        "socket_keepalive": True,
                    }
                ],
                "prefix": os.environ.get("CHANNEL_PREFIX", "nexus"),
                # Room for a burst of events while a socket replays its backlog.
                "capacity": 1000,
            },
        }
    }
    # Sessions are read from Redis and written through to the database, so a Redis flush
    # signs nobody out (Django's cached_db engine).
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # The embedded default keeps sessions in the database (one process, no shared cache).
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}
    }

# How long a process may keep a user's reach (relations.reach) at most: every write that can
# change it retires it at once through a number in the shared cache; this bounds a write no
# signal sees. Off (0) without Redis: a per-process cache cannot tell other processes.
REACH_CACHE_SECONDS = int(os.environ.get("REACH_CACHE_SECONDS", "60" if REDIS_URL else "0"))

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = constants.CELERY_SOFT_TIME_LIMIT_SECONDS
CELERY_TASK_TIME_LIMIT = constants.CELERY_HARD_TIME_LIMIT_SECONDS
# Longer than any countdown/ETA we schedule, so Redis never redelivers a waiting task.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": constants.CELERY_VISIBILITY_TIMEOUT_SECONDS,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The queue tasks go to unless routed; workers consume it (Procfile: -Q nexus).
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "nexus")
CELERY_BEAT_SCHEDULER = "nexus_site.beat:GuardedDatabaseScheduler"
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "flush-expired-tokens": {
        "task": "accounts.tasks.flush_expired_tokens",
        "schedule": timedelta(days=1),
    },
    "purge-document-trash": {
        "task": "workspace.documents.tasks.purge_document_trash",
        "schedule": timedelta(hours=6),
    },
    "reclaim-pattern-executions": {
        "task": "patterns.tasks.reclaim_executions",
        "schedule": timedelta(seconds=30),
    },
    # Tasks due tomorrow or overdue, then the daily digests (notifications.due, .emails).
    "announce-due-tasks": {
        "task": "notifications.tasks.announce_due_tasks",
        "schedule": crontab(hour=6, minute=0),
    },
    "send-notification-digests": {
        "task": "notifications.tasks.send_daily_digests",
        "schedule": crontab(hour=7, minute=0),
    },
    # Fire the triggers of events whose firing was never enqueued (patterns.triggers.firing).
    "catch-up-triggers": {
        "task": "patterns.tasks.catch_up_triggers",
        "schedule": timedelta(seconds=30),
    },
    # Derive the events whose notifications were never enqueued (notifications.catch_up).
    "catch-up-notifications": {
        "task": "notifications.tasks.catch_up",
        "schedule": timedelta(minutes=1),
    },
    # Roll up finished days of AI usage, then purge what is past its keep time, in batches
    # (workspace.ai_usage.rollups, nexus_site.retention; docs/OPERATIONS.md, Retention).
    "roll-up-ai-usage": {
        "task": "workspace.ai_usage.tasks.roll_up_ai_usage",
        "schedule": crontab(minute=5),
    },
    "purge-expired-data": {
        "task": "nexus_site.tasks.purge_expired",
        "schedule": crontab(minute=35),
    },
    # Resend webhook deliveries whose task was lost; fan out missed events (webhooks.sweep).
    "sweep-webhook-deliveries": {
        "task": "webhooks.tasks.sweep",
        "schedule": timedelta(seconds=30),
    },
}
# Notifications e-mailed at once are grouped per person and kind over this many seconds.
NOTIFICATIONS_EMAIL_WINDOW_SECONDS = int(os.environ.get("NOTIFICATIONS_EMAIL_WINDOW_SECONDS", "60"))

# --- Patterns ------------------------------------------------------------------------------

# A worker holds a run for this long past its current step's timeout; a run whose lease
# runs out is resumed by the reclaim task (every 30 s) on another worker.
PATTERNS_LEASE_SECONDS = int(os.environ.get("PATTERNS_LEASE_SECONDS", "60"))
# A run still pending this long after it was queued lost its message (a broker outage): the
# reclaim task queues it again. Not shorter: a busy queue's runs would be queued twice.
PATTERNS_PENDING_REQUEUE_SECONDS = int(os.environ.get("PATTERNS_PENDING_REQUEUE_SECONDS", "300"))
# A retry back-off or wait up to this long is slept through by the worker; longer ones give
# the worker back and a delayed task resumes the run.
PATTERNS_INLINE_WAIT_SECONDS = float(os.environ.get("PATTERNS_INLINE_WAIT_SECONDS", "2"))
# Off: PostgreSQL acknowledges the engine's commits (a step with its record and events)
# before they reach the disk. Still all or nothing; a database crash may lose the last
# fraction of a second of steps, which then run again. For disks with slow fsync.
PATTERNS_SYNCHRONOUS_COMMIT = env_bool("PATTERNS_SYNCHRONOUS_COMMIT", True)
PATTERNS_TASK_TIME_LIMIT_SECONDS = int(os.environ.get("PATTERNS_TASK_TIME_LIMIT_SECONDS", "3600"))
# How long one input-schema regex may take on one value (patterns/input_schema.py).
PATTERNS_INPUT_REGEX_TIMEOUT_SECONDS = float(
    os.environ.get("PATTERNS_INPUT_REGEX_TIMEOUT_SECONDS", "0.1")
)
# Triggers (docs/patterns.md, "Triggers"): how many runs started by runs' events may follow
# one another, and how many runs one trigger may start per minute unless it says otherwise.
# Finished runs are purged after this many days (0 keeps them); statistics stay in rollups.
PATTERNS_EXECUTION_RETENTION_DAYS = int(os.environ.get("PATTERNS_EXECUTION_RETENTION_DAYS", "90"))
PATTERNS_TRIGGER_MAX_DEPTH = int(os.environ.get("PATTERNS_TRIGGER_MAX_DEPTH", "3"))
PATTERNS_TRIGGER_RATE_PER_MINUTE = int(os.environ.get("PATTERNS_TRIGGER_RATE_PER_MINUTE", "60"))

# --- Webhooks (docs/webhooks.md) ------------------------------------------------------------

# Let outgoing requests (webhooks, the http.request step) reach private, loopback and
# link-local addresses. Off: a URL a user typed could otherwise reach the metadata service or
# our own Redis. Turn on only when receivers live inside the operator's own network.
WEBHOOKS_ALLOW_PRIVATE_NETWORKS = env_bool("WEBHOOKS_ALLOW_PRIVATE_NETWORKS", False)
# Seconds to connect, and to wait for each read of the answer (the whole exchange: their sum).
WEBHOOKS_CONNECT_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOKS_CONNECT_TIMEOUT_SECONDS", "5"))
WEBHOOKS_READ_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOKS_READ_TIMEOUT_SECONDS", "10"))
# Answers longer than this are cut off and count as a failed attempt.
WEBHOOKS_MAX_RESPONSE_BYTES = int(os.environ.get("WEBHOOKS_MAX_RESPONSE_BYTES", str(1024 * 1024)))
# Attempts of one delivery before it has failed; between them an exponential back-off from
# the base, with jitter, capped.
WEBHOOKS_MAX_ATTEMPTS = int(os.environ.get("WEBHOOKS_MAX_ATTEMPTS", "8"))
WEBHOOKS_RETRY_BASE_SECONDS = float(os.environ.get("WEBHOOKS_RETRY_BASE_SECONDS", "30"))
WEBHOOKS_RETRY_MAX_SECONDS = float(os.environ.get("WEBHOOKS_RETRY_MAX_SECONDS", "3600"))
# Failed deliveries in a row that disable a subscription (its owner turns it on again).
WEBHOOKS_DISABLE_AFTER_FAILURES = int(os.environ.get("WEBHOOKS_DISABLE_AFTER_FAILURES", "10"))
# Calls per minute one incoming webhook URL accepts.
WEBHOOKS_INCOMING_RATE = os.environ.get("WEBHOOKS_INCOMING_RATE", "60/min")

# --- Auth ----------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
# One backend for every authenticate() (API, pages, /admin/login/): it counts failed logins and
# refuses a locked account. A session hash of password and token version ends page sessions on
# logout-all, password change and deactivation.
AUTHENTICATION_BACKENDS = ["accounts.backends.LockoutBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = constants.PASSWORD_RESET_TOKEN_SECONDS

# --- Internationalisation ---------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [(code, name) for code, name in constants.LANGUAGES]
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media ---------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Workspace -------------------------------------------------------------------------------

# Deleted documents stay in the trash this long, then the beat task purges them.
DOCUMENT_TRASH_RETENTION_DAYS = int(os.environ.get("DOCUMENT_TRASH_RETENTION_DAYS", "30"))
# Largest .docx / .xlsx / .pptx accepted by documents/import/.
DOCUMENT_IMPORT_MAX_BYTES = int(os.environ.get("DOCUMENT_IMPORT_MAX_BYTES", str(20 * 1024**2)))
# Largest single upload to files/, and each user's quota (logical bytes of their files).
FILE_UPLOAD_MAX_BYTES = int(os.environ.get("FILE_UPLOAD_MAX_BYTES", str(100 * 1024**2)))
FILE_USER_QUOTA_BYTES = int(os.environ.get("FILE_USER_QUOTA_BYTES", str(1024**3)))
# How far in the future a client may date a recorded AI interaction (clocks drift).
AI_USAGE_CLOCK_SKEW_SECONDS = int(os.environ.get("AI_USAGE_CLOCK_SKEW_SECONDS", "300"))

# --- Retention (nexus_site.retention; docs/OPERATIONS.md, Retention) ---------------------------

# Days raw AI interactions (prompts and responses) are kept; statistics and budgets read the
# daily rollups afterwards. A day is purged only once rolled up. 0 keeps them forever.
AI_USAGE_RETENTION_DAYS = int(os.environ.get("AI_USAGE_RETENTION_DAYS", "90"))
# Days events stay in the outbox; an event a cursor still has to read stays. 0: forever.
EVENTS_RETENTION_DAYS = int(os.environ.get("EVENTS_RETENTION_DAYS", "30"))
# Days a public link is kept after it stopped working (expired, revoked, used up). 0: forever.
PUBLIC_LINK_RETENTION_DAYS = int(os.environ.get("PUBLIC_LINK_RETENTION_DAYS", "30"))
# Rows deleted per statement and transaction, and seconds one purge or rollup run may take.
RETENTION_BATCH_SIZE = int(os.environ.get("RETENTION_BATCH_SIZE", "5000"))
RETENTION_TIME_BUDGET_SECONDS = float(os.environ.get("RETENTION_TIME_BUDGET_SECONDS", "120"))

# --- E-mail ----------------------------------------------------------------------------------

EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Nexus <nexus@localhost>")


def local_site_url() -> str:
    """Return the address the server started here answers on, from ``HOST`` and ``PORT`` (what
    ``make run`` and gunicorn listen on); a wildcard host is reached through the loopback."""
    host = os.environ.get("HOST", "").strip() or "127.0.0.1"
    if host in {"0.0.0.0", "::", "[::]"}:  # noqa: S104 - a wildcard is read, not bound
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address in a URL
    return f"http://{host}:{os.environ.get('PORT', '').strip() or '8000'}"


# Links in e-mails point here (the public address of the site); unset, the local server's.
SITE_URL = (os.environ.get("SITE_URL", "").strip() or local_site_url()).rstrip("/")

# --- Security (production defaults; `manage.py check --deploy` is clean) -------------------

SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# --- REST framework, JWT, OpenAPI --------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Before the JWT class: it takes only "Bearer nxp_..." and leaves every JWT to it.
        "accounts.authentication.PersonalTokenAuthentication",
        "accounts.authentication.VersionedJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        # Keeps a personal access token within its scopes; a no-op for JWTs and sessions.
        "accounts.permissions.TokenScopePermission",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "nexus_site.api.parsers.DepthSafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "nexus_site.api.pagination.LimitOffsetPagination",
    "PAGE_SIZE": constants.DEFAULT_PAGE_SIZE,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_METADATA_CLASS": "nexus_site.api.metadata.ViewMetadata",
    "EXCEPTION_HANDLER": "nexus_site.api.handler.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "login_ip": os.environ.get("THROTTLE_LOGIN_IP", "30/min"),
        "login_email": os.environ.get("THROTTLE_LOGIN_EMAIL", "10/min"),
        "anon_sensitive": os.environ.get("THROTTLE_ANON_SENSITIVE", "20/min"),
    },
    # Proxies in front of the web processes; throttles trust X-Forwarded-For only that deep.
    "NUM_PROXIES": int(os.environ["NUM_PROXIES"]) if os.environ.get("NUM_PROXIES") else None,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=constants.ACCESS_TOKEN_LIFETIME_SECONDS),
    "REFRESH_TOKEN_LIFETIME": timedelta(seconds=constants.REFRESH_TOKEN_LIFETIME_SECONDS),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Nexus API",
    "DESCRIPTION": "Projects, documents, mail, chat, files, AI usage, relations and patterns.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation declares the error envelope for each error status it may answer.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "nexus_site.api.schema.declare_error_responses",
    ],
    # Choice sets that share a field name across apps get explicit component names.
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "nexus_site.definitions.enums.Role",
        "MemberRoleEnum": "nexus_site.definitions.enums.MemberRole",
        "ProjectStatusEnum": "projects.models.ProjectStatus",
        "TaskStatusEnum": "projects.models.TaskStatus",
        "PatternKindEnum": "patterns.models.PatternKind",
        "ExecutionStatusEnum": "patterns.models.ExecutionStatus",
        "StepStatusEnum": "patterns.models.StepStatus",
        "DeliveryStatusEnum": "webhooks.models.DeliveryStatus",
    },
}

# --- Content-Security-Policy (django-csp) ------------------------------------------------------

# Scripts only from our own origin or an inline block carrying this response's nonce
# (<script nonce="{{ request.csp_nonce }}">): no 'unsafe-inline', no eval. Styles allow inline
# attributes (charts size their SVG with style="..."; the admin and Swagger UI use them), which
# cannot run code. connect-src 'self' covers fetch() and the same-origin WebSockets of chat and
# events; Swagger UI draws its icons from data: URLs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF, csp.NONCE],
        "style-src": [csp.SELF, csp.UNSAFE_INLINE],
        "img-src": [csp.SELF, "data:"],
        "font-src": [csp.SELF],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    }
}

# --- Logging -----------------------------------------------------------------------------------

# "json": one JSON object a line (with the request id, route, status, duration, user id of the
# request log); "text" (the default): plain lines for a terminal.
LOG_FORMAT = "json" if os.environ.get("LOG_FORMAT", "").strip().lower() == "json" else "text"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "nexus_site.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Metrics -----------------------------------------------------------------------------------

# The bearer token a Prometheus scraper sends to /metrics; without one the endpoint answers 404.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "").strip()

# Labels used by the admin site header.
ADMIN_SITE_HEADER = _("Nexus administration")
