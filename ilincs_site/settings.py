"""Settings for the portal, read from the environment (django-environ).

With no configuration the portal runs on SQLite and django-q2's ORM broker, with DEBUG off
unless DJANGO_DEBUG=1. Production sets DATABASE_URL (PostgreSQL), optionally REDIS_URL for the
queue, DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF

from analysis.engine import configure as configure_engine

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# The numeric engine's process-wide thread and LLVM settings (one BLAS thread, passive OpenMP
# waits), applied before numpy loads: the settings module is imported first by manage.py,
# gunicorn (ilincs_site.wsgi) and the django-q2 cluster. An operator's own values (also from
# .env, read above) win.
configure_engine()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
_DEV_SECRET = "insecure-development-key-do-not-use-in-production"
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=_DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off (set DJANGO_DEBUG=1 for development)."
    )
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# Where imported signature libraries (matrix files), uploads and results live.
DATA_DIR = Path(env.str("PORTAL_DATA_DIR", default=str(BASE_DIR / "var")))
LIBRARY_STORE_DIR = DATA_DIR / "libraries"
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "axes",
    "csp",
    "catalog",
    "signatures",
    "collections_app",
    "analysis",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy header (django-csp); CONTENT_SECURITY_POLICY below.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Database down -> a clear 503 page (or JSON for the API) instead of a 500.
    "ilincs_site.middleware.DatabaseUnavailableMiddleware",
    # Oversized uploads -> 413 before the body is read (PORTAL_MAX_UPLOAD_BYTES).
    "ilincs_site.middleware.UploadSizeLimitMiddleware",
    # A NUL in the path or query string -> 400 (PostgreSQL look-ups raise on one).
    "ilincs_site.middleware.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Locked-out logins (site and admin) -> a 429 page; last, as django-axes asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ilincs_site.urls"
WSGI_APPLICATION = "ilincs_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Concurrent web + worker processes on one SQLite file (WAL); reads through a memory map
    # and a 64 MB page cache, so a catalogue look-up of scattered rows (the connectivity API
    # annotates 100 random signatures of 250,000) costs no read() per page.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA mmap_size=1073741824;"
            " PRAGMA cache_size=-65536;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login lockout (django-axes): after PORTAL_LOGIN_FAILURE_LIMIT wrong passwords for one
# account (from anywhere) or from one client (for any account), logins of that account or
# from that client are refused for PORTAL_LOGIN_COOLOFF_MINUTES, even with the right
# password; a success resets the count. Counted in the database, so shared by all workers.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("PORTAL_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("PORTAL_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "ilincs_site.throttling.client_address"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# BokehJS is served from the bokeh package's own files (never a CDN): /static/bokeh/js/...
from bokeh.util.paths import bokehjs_path  # noqa: E402

STATICFILES_DIRS = [BASE_DIR / "static", ("bokeh", str(bokehjs_path()))]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# Upload limits (bytes / rows); bad or oversized input gets a clear error.
# JSON and form bodies: decoded JSON of strings takes ~4.5x its text (docs/api.md, Input
# limits); a genome-wide query with p-values, or 100,000 pasted rows, is ~3-4 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("PORTAL_MAX_REQUEST_BYTES", default=10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
PORTAL_MAX_UPLOAD_BYTES = env.int("PORTAL_MAX_UPLOAD_BYTES", default=200 * 1024 * 1024)
PORTAL_MAX_UPLOAD_ROWS = env.int("PORTAL_MAX_UPLOAD_ROWS", default=100_000)

_BEHIND_PROXY = not DEBUG and env.bool("DJANGO_BEHIND_TLS_PROXY", default=False)
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # JSON bodies within PORTAL_MAX_REQUEST_BYTES, nesting and NUL checked (ilincs_site.parsers)
    "DEFAULT_PARSER_CLASSES": [
        "ilincs_site.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_THROTTLE_CLASSES": [
        "ilincs_site.throttling.AnonRateThrottle",  # DRF's, counted per window (O(1))
        "ilincs_site.throttling.UserOnlyRateThrottle",  # one count per request, not two
    ],
    # Clients are told apart by REMOTE_ADDR, or behind the TLS proxy by the address that
    # proxy appended to X-Forwarded-For (never by what the client itself wrote there).
    "NUM_PROXIES": env.int("DJANGO_NUM_PROXIES", default=1 if _BEHIND_PROXY else 0),
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("PORTAL_THROTTLE_ANON", default="600/minute"),
        "user": env.str("PORTAL_THROTTLE_USER", default="3000/minute"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Signature portal API",
    "DESCRIPTION": "Datasets, signature libraries, signatures, genes and analyses (iLINCS-style).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

REDIS_URL = env.str("REDIS_URL", default="")
# One cache shared by every web and worker process, so that a rate limit (the API's
# throttles, the analysis forms') is counted once per client, not once per worker: Redis when
# REDIS_URL is set, else a table in the database (CACHE_TABLE, created by `migrate`).
CACHE_TABLE = "portal_cache"
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "portal",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "ilincs_site.cache.DatabaseCache",  # Django's, with an atomic incr
            "LOCATION": CACHE_TABLE,
            # past this many entries Django deletes a third of them (the live counts too), so
            # room for every client active in a minute; the check is a COUNT(*) per write
            "OPTIONS": {"MAX_ENTRIES": env.int("PORTAL_CACHE_MAX_ENTRIES", default=10_000)},
        }
    }
Q_CLUSTER = {
    "name": "portal",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": env.int("Q_TIMEOUT", default=3600),
    "retry": env.int("Q_RETRY", default=3700),
    "max_attempts": 1,
    "catch_up": False,
    "sync": env.bool("Q_SYNC", default=False),
    "label": "Background tasks",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# Security: CSRF on every form, cookies not readable by scripts, frames refused.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
# Scripts only from this site, or inline with the page's nonce (Bokeh's components() script,
# see analysis/templatetags/figures.py); no eval. Styles may be inline: BokehJS and the
# Swagger page set style attributes and <style> elements. Nothing from another origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0)
    # With HSTS on, subdomains and preloading follow unless the operator turns them off
    # (=0): a portal on a domain whose subdomains are not all on HTTPS must say so.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
        "DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=SECURE_HSTS_SECONDS > 0
    )
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=SECURE_HSTS_SECONDS > 0)
    if _BEHIND_PROXY:
        # A reverse proxy terminates TLS and says so in X-Forwarded-Proto.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
