"""Django settings: SQLite under var/ by default, PostgreSQL through DATABASE_URL, eager Celery without a broker."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

from menkan.web.accounts.oidc_settings import BACKEND as CAMPUS_BACKEND
from menkan.web.accounts.oidc_settings import oidc_settings
from menkan.web.schedule import beat_schedule

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("MENKAN_VAR", Path.cwd() / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """From the environment (MENKAN_SECRET_KEY, or the file MENKAN_SECRET_KEY_FILE names), or generated once and
    kept in var/ (never a fixed key in the code; production settings refuse to start without one given)."""
    if os.environ.get("MENKAN_SECRET_KEY"):
        return os.environ["MENKAN_SECRET_KEY"]
    if os.environ.get("MENKAN_SECRET_KEY_FILE"):
        return Path(os.environ["MENKAN_SECRET_KEY_FILE"]).read_text(encoding="utf-8").strip()
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("MENKAN_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("MENKAN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "axes",
    "simple_history",
    "menkan.web.accounts",
    "menkan.web.records",
    "menkan.web.audits",
    "menkan.web.activities",
    "menkan.web.notices",
    "menkan.web.reports",
    "menkan.web.programs",
    "menkan.web.microcredits",
    "menkan.web.fees",
    "menkan.web.certification",
    "menkan.web.forecasts",
    "menkan.web.plans",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "menkan.web.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "menkan.web.accounts.middleware.PasswordChangeRequiredMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "menkan.web.urls"
WSGI_APPLICATION = "menkan.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "menkan.web.accounts.context.roles",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'menkan.sqlite3'}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and one writer work at once; IMMEDIATE takes the write lock up front, so two
    # writers queue instead of failing half-way (seat limits and approvals rely on that).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login throttling: five failures lock the username from that address for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The lockout is a portal page in the user's language saying when to retry (computed from AXES_COOLOFF_TIME).
AXES_LOCKOUT_CALLABLE = "menkan.web.accounts.views.locked_out"
# The campus sign-in's callback is not throttled (it carries no password; see accounts.oidc.axes_exempt).
AXES_WHITELIST_CALLABLE = "menkan.web.accounts.oidc.axes_exempt"

# Campus sign-in (OpenID Connect), only when MENKAN_OIDC_CLIENT_ID and the provider are set (docs/sign-in.md);
# local passwords keep working beside it.
_CAMPUS = oidc_settings(os.environ)
globals().update(_CAMPUS)
if _CAMPUS["MENKAN_OIDC_ENABLED"]:
    AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, CAMPUS_BACKEND]

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie for its requests
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = os.environ.get("MENKAN_HTTPS", "0") == "1"
X_FRAME_OPTIONS = "DENY"
# The portal's own page (in its layout and the user's language) when a form's CSRF check fails.
CSRF_FAILURE_VIEW = "menkan.web.error_pages.csrf_failure"

LANGUAGE_CODE = "zh-hant"
LANGUAGES = [("zh-hant", "繁體中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Taipei"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"
# /static/ answered by the URL conf from the static folders (menkan.web.static_serve); production settings use
# WhiteNoise on the collected files instead.
MENKAN_STATIC_FROM_FINDERS = True

EMAIL_BACKEND = os.environ.get("MENKAN_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = "menkan@localhost"

# Celery: Redis when CELERY_BROKER_URL is set; otherwise tasks run eagerly in-process.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
# Audit tasks are acknowledged once they have run (tasks.py): one whose worker machine vanished goes back to the
# queue after this many seconds (Redis re-delivers unacknowledged messages then). A chunk takes about a second;
# an audit task still running after this long would be delivered twice, which audits tolerate.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(os.environ.get("MENKAN_CELERY_VISIBILITY_TIMEOUT", "300"))}
# Celery beat (`celery -A menkan.web beat`): what runs by itself, as data — each entry's task and when (a crontab
# line, local time, or seconds). MENKAN_SCHEDULE (JSON) changes an entry's time or switches it "off" (docs/deploy.md).
# The notices due each day go out at 08:00 (docs/notices.md); every student is re-audited at night, so stored audits
# follow the calendar (a new term changes the term they are audited as of) without anyone starting a batch.
MENKAN_SCHEDULE = {
    "notices-send-due": {"task": "menkan.notices_send_due", "when": "0 8 * * *"},
    "batch-audit-nightly": {"task": "menkan.batch_audit_all", "when": "30 2 * * *"},
}
CELERY_BEAT_SCHEDULE = beat_schedule(MENKAN_SCHEDULE, os.environ.get("MENKAN_SCHEDULE", ""))

MENKAN_BATCH_CHUNK = int(os.environ.get("MENKAN_BATCH_CHUNK", "500"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"menkan": {"handlers": ["console"], "level": os.environ.get("MENKAN_LOG_LEVEL", "INFO")}},
}
