"""Constants shared across apps. Settings may read these; nothing here reads settings."""

# Accounts
MAX_LOGIN_ATTEMPTS = 5
LOCKOUT_SECONDS = 15 * 60
ACCESS_TOKEN_LIFETIME_SECONDS = 15 * 60
REFRESH_TOKEN_LIFETIME_SECONDS = 7 * 24 * 60 * 60
EMAIL_VERIFICATION_TOKEN_SECONDS = 3 * 24 * 60 * 60
PASSWORD_RESET_TOKEN_SECONDS = 60 * 60
TOKEN_VERSION_CLAIM = "tv"

# Work and time limits
DEFAULT_TIMEOUT_SECONDS = 30
CELERY_SOFT_TIME_LIMIT_SECONDS = 300
CELERY_HARD_TIME_LIMIT_SECONDS = 330
# Must stay above the longest countdown/ETA any task is scheduled with.
CELERY_VISIBILITY_TIMEOUT_SECONDS = 6 * 60 * 60
READINESS_CHECK_TIMEOUT_SECONDS = 2

# API
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
EVENT_REPLAY_BATCH = 500

# The seven languages, English first (the default and the source language).
LANGUAGES = (
    ("en", "English"),
    ("ar", "العربية"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("fr", "Français"),
    ("it", "Italiano"),
    ("ru", "Русский"),
)
LANGUAGE_CODES = tuple(code for code, _ in LANGUAGES)
RTL_LANGUAGES = frozenset({"ar"})

# Relations
GRAPH_MAX_DEPTH = 10
GRAPH_MAX_VISITED = 10_000
# Containers (nodes that can have children) one user may see before a list refuses.
GRAPH_MAX_VISIBLE = 100_000
