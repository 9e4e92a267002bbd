"""Production settings (DJANGO_SETTINGS_MODULE=menkan.web.settings_production): the portal's settings made safe to
serve — required secrets and hosts from the environment, HTTPS-only cookies, HSTS, WhiteNoise, logs on stdout.

Every choice is read from the environment (docs/deploy.md lists the variables); what production cannot do without
refuses to start here, with the variable's name, before anything else runs.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

MIN_SECRET_KEY_LENGTH = 50  # what `check --deploy` asks of a key (security.W009)


def _required(name: str, why: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"production settings: set {name} ({why}); see docs/deploy.md")
    return value


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "1" if default else "0").strip().lower()
    if value not in {"0", "1", "true", "false", "yes", "no", "on", "off"}:
        raise ImproperlyConfigured(f"production settings: {name}={value!r} is not 1 or 0")
    return value in {"1", "true", "yes", "on"}


def _listed(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


# Checked before the portal's settings are read: those would otherwise make up a key and keep it in var/.
if not (os.environ.get("MENKAN_SECRET_KEY", "").strip() or os.environ.get("MENKAN_SECRET_KEY_FILE", "").strip()):
    raise ImproperlyConfigured(
        "production settings: set MENKAN_SECRET_KEY (or MENKAN_SECRET_KEY_FILE, a file holding it) to a random key "
        f"of at least {MIN_SECRET_KEY_LENGTH} characters, the same on every web and worker machine, e.g. "
        '`python -c "import secrets; print(secrets.token_urlsafe(50))"`; see docs/deploy.md'
    )
if _flag("MENKAN_DEBUG", False):
    raise ImproperlyConfigured("production settings: MENKAN_DEBUG=1 is refused (it shows settings and code to anyone)")
_required("DATABASE_URL", "the PostgreSQL database, e.g. postgresql://menkan@db.example.edu.tw:5432/menkan")
_hosts = _required("MENKAN_ALLOWED_HOSTS", "the host names the portal answers to, comma-separated")

from menkan.web.settings import *  # noqa: E402, F403  (the portal's settings, then what production changes)
from menkan.web.settings import DATABASES, MIDDLEWARE, SECRET_KEY, VAR_DIR  # noqa: E402

if len(SECRET_KEY) < MIN_SECRET_KEY_LENGTH or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured(
        f"production settings: the secret key is too weak (under {MIN_SECRET_KEY_LENGTH} characters or repetitive); "
        '`python -c "import secrets; print(secrets.token_urlsafe(50))"` makes one'
    )

DEBUG = False
ALLOWED_HOSTS = [host.strip() for host in _hosts.split(",") if host.strip()]
# Only needed where the browser's origin differs from the host Django sees (e.g. https://portal.example.edu.tw
# behind a proxy that changes the host); same-origin requests pass without it.
CSRF_TRUSTED_ORIGINS = _listed("MENKAN_CSRF_TRUSTED_ORIGINS")

# HTTPS. MENKAN_HTTPS=0 only for a trial on this machine over plain HTTP (`menkan serve` on 127.0.0.1): cookies then
# travel unencrypted and `check --deploy` says so.
HTTPS = _flag("MENKAN_HTTPS", True)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
# Pages send the CSRF token in a header from the page itself (base.html's hx-headers), never from the cookie.
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # a load balancer's health check may ask over plain HTTP
SECURE_HSTS_SECONDS = int(os.environ.get("MENKAN_HSTS_SECONDS", "31536000")) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("MENKAN_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = _flag("MENKAN_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Behind a reverse proxy that ends TLS: the header it sets to say the request came over HTTPS (e.g.
# X-Forwarded-Proto). Set it only when the proxy overwrites that header on every request; a client could send it.
_proxy_header = os.environ.get("MENKAN_PROXY_SSL_HEADER", "").strip()
if _proxy_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")

# PostgreSQL: a database that does not answer fails a request (and /healthz) in seconds, not after minutes.
_database = DATABASES["default"]
_database["CONN_HEALTH_CHECKS"] = True
if _database["ENGINE"] == "django.db.backends.postgresql":
    _database.setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)

# Static files: WhiteNoise serves what `collectstatic` put in VAR/static, under content-hashed names (cached for
# ever by browsers), gzipped; the URL conf's finder-based route (menkan.web.static_serve) is for development.
MIDDLEWARE = [*MIDDLEWARE]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "whitenoise.middleware.WhiteNoiseMiddleware"
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "menkan.web.static_serve.HashedStaticFiles"},
}
MENKAN_STATIC_FROM_FINDERS = False

# Background work: a queue of the site's own (several sites may share one Redis) and results not kept.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("MENKAN_QUEUE", "menkan")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Logs: everything on stdout, one line each, for journald or the container runtime to keep.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"line": {"format": "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "line"}},
    "root": {"handlers": ["stdout"], "level": os.environ.get("MENKAN_LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own handlers print only under DEBUG; its records (request errors: 500s) go to the root instead.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "menkan": {"handlers": [], "level": os.environ.get("MENKAN_LOG_LEVEL", "INFO"), "propagate": True},
    },
}
