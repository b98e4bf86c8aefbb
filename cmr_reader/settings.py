"""CMR Reader settings: one file, driven by environment variables.

Defaults are the embedded demo (SQLite, local files, database-backed task worker).
DEBUG is off unless asked for. Production sets DATABASE_URL, SECRET_KEY, PSEUDONYM_KEY, ALLOWED_HOSTS
and friends; see docs/deployment.md.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, WASM_UNSAFE_EVAL
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from cmr_reader.local_keys import local_key

BASE_DIR = Path(__file__).resolve().parent.parent


TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def env_bool(name: str, default: bool) -> bool:
    """A yes/no setting from the environment; anything but the words above is refused, so that a
    typo ("ture", "fasle") can never quietly turn a safety setting off."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a yes/no value; use one of {sorted(TRUE_WORDS | FALSE_WORDS)}."
    )


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Off unless asked for: a site never shows tracebacks or settings by accident. Developers set DEBUG=1.
DEBUG = env_bool("DEBUG", False)
# Whether browsers reach the site over HTTPS (directly or through a TLS-terminating proxy): secure
# cookies, the redirect to HTTPS and HSTS follow from it. On by default outside DEBUG; the demo,
# served on 127.0.0.1 over plain HTTP, turns it off (scripts/demo.sh).
HTTPS = env_bool("HTTPS", not DEBUG)
DATA_DIR = Path(os.environ.get("DATA_DIR", BASE_DIR / "var"))


def site_key(name: str) -> str:
    """SECRET_KEY or PSEUDONYM_KEY from the environment. Without one, the embedded site keeps its
    own random key under DATA_DIR/keys/ (cmr_reader/local_keys.py). A site on a database server
    (DATABASE_URL) must set both: its web servers and workers may run on several machines, and
    each would otherwise make a different key."""
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if os.environ.get("DATABASE_URL") and not DEBUG:
        raise ImproperlyConfigured(
            f"{name} is not set. A site on a database server (DATABASE_URL) sets {name} in the "
            "environment to a long random value, the same for every process (see docs/deployment.md)."
        )
    return local_key(DATA_DIR / "keys" / name.lower())


SECRET_KEY = site_key("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
# Origins (scheme://host[:port]) that may POST forms, e.g. https://cmr.example-hospital.org.
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# The key for pseudonymisation (UID mapping, date shifts, case ids). It must stay the same for
# the life of a study: re-imports and report linking depend on it. Keep it apart from SECRET_KEY
# so that rotating session secrets never changes pseudonyms.
PSEUDONYM_KEY = site_key("PSEUDONYM_KEY")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    # Optional TOTP second factor for staff (cmr_reader/accounts/two_factor.py).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "cmr_reader.accounts",
    "cmr_reader.imaging",
    "cmr_reader.reports",
    "cmr_reader.analysis",
    "cmr_reader.operations",
    "cmr_reader.viewer",
    "cmr_reader.studies",
    "cmr_reader.demo",
]

MIDDLEWARE = [
    "cmr_reader.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before whitenoise, so that static files carry the policy too: a web worker runs under the
    # policy of its own script's response, not the page's (docs/decisions/0010).
    "cmr_reader.content_security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "cmr_reader.database_unavailable.DatabaseUnavailableMiddleware",  # before sessions (database reads)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "cmr_reader.idle_timeout.IdleTimeoutMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The signed-in user's saved language (over LocaleMiddleware's browser choice) and time zone.
    "cmr_reader.accounts.preferences.UserPreferenceMiddleware",
    # Whether the session passed its second factor; then, for users with one, nothing but the
    # code step until it has.
    "django_otp.middleware.OTPMiddleware",
    "cmr_reader.accounts.two_factor_middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cmr_reader.urls"

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

WSGI_APPLICATION = "cmr_reader.wsgi.application"
# Load every view and catalogue when the web process starts rather than on its first request
# (cmr_reader/warm_up.py: ~4 s on a small machine); off only where start-up time matters more.
WARM_UP_WEB_PROCESS = env_bool("WARM_UP_WEB_PROCESS", True)

# Recorded with every analysis export and generation run; deployments without a git checkout
# set it (e.g. to the release tag), otherwise the commit is read from git.
CODE_VERSION = os.environ.get("CMR_READER_VERSION", "")

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite creates its file but not the folder; a fresh checkout has no var/ yet.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the web process read while the worker writes; IMMEDIATE transactions take the
    # write lock up front so two writers queue instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out address or username+address is refused before its password is checked.
    "cmr_reader.login_protection.AddressLockoutBackend",
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, with the roles read with the user (decision 0031).
    "cmr_reader.accounts.backends.UserWithRolesBackend",
]

# Login protection (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username from
# one address, that pair is refused for AXES_COOLOFF_MINUTES, right password or not.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
# Across usernames from one address (password spraying); higher, as readers may share an address.
AXES_ADDRESS_FAILURE_LIMIT = int(os.environ.get("AXES_ADDRESS_FAILURE_LIMIT", "20"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "cmr_reader.login_protection.lockout_response"
AXES_CLIENT_IP_CALLABLE = "cmr_reader.login_protection.client_ip"
# Proxies in front of gunicorn that append to X-Forwarded-For (0: use the socket's address).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

# Second factor (django-otp, TOTP): the issuer names the site in authenticator apps; wrong codes
# wait 1, 2, 4, ... seconds (OTP_TOTP_THROTTLE_FACTOR) and count towards the axes lockout above.
OTP_TOTP_ISSUER = "CMR Reader"
OTP_TOTP_THROTTLE_FACTOR = 1
# The admin's device pages must not show staff members' secrets.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Django's database sessions, read with a statement built once (cmr_reader/session_store.py).
SESSION_ENGINE = "cmr_reader.session_store"
# Sessions end after SESSION_COOKIE_AGE of inactivity: IdleTimeoutMiddleware renews the expiry at
# most once a minute (SESSION_SAVE_EVERY_REQUEST would write the session on every request).
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 60 * 60)))
SESSION_REFRESH_INTERVAL = 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", HTTPS)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", HTTPS)

# HTTPS. Behind a TLS-terminating reverse proxy set SECURE_PROXY_SSL_HEADER to the header and
# value the proxy sends, e.g. "HTTP_X_FORWARDED_PROTO,https"; the proxy must overwrite that
# header on every request, or a client could claim HTTPS over plain HTTP.
if os.environ.get("SECURE_PROXY_SSL_HEADER"):
    _header, _comma, _value = os.environ["SECURE_PROXY_SSL_HEADER"].partition(",")
    SECURE_PROXY_SSL_HEADER = (_header.strip(), _value.strip() or "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
# Load balancers probe /health/ over plain HTTP on the internal network.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600) if HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# Only permits submission to the browsers' preload list (of registrable domains); nothing is submitted.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp), the same in every environment so that the browser tests
# run under it. Everything comes from this origin; no inline script or style anywhere. The
# viewer needs two exceptions (docs/decisions/0010): 'wasm-unsafe-eval' to compile the DICOM
# decoders' WebAssembly, and blob: images for the cursors Cornerstone's tools draw.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, WASM_UNSAFE_EVAL],
        "worker-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
# Unambiguous short dates in English (cmr_reader/formats/en/formats.py).
FORMAT_MODULE_PATH = ["cmr_reader.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
# A site serves what `collectstatic` gathered in STATIC_ROOT (WhiteNoise). Developers and tests
# that start a real server without collecting may serve the source folders instead.
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", DEBUG)
MEDIA_ROOT = DATA_DIR / "media"
# De-identified DICOM lives here, one file per instance; never anything identifying.
DICOM_STORAGE_ROOT = Path(os.environ.get("DICOM_STORAGE_ROOT", MEDIA_ROOT / "dicom"))
# Where media live (docs/decisions/0012-media-storage.md): "local" (the default) keeps DICOM
# under DICOM_STORAGE_ROOT and analysis bundles under MEDIA_ROOT; "s3" keeps both in one
# S3-compatible bucket (AWS S3, MinIO, Ceph), DICOM under dicom/ and the rest under media/.
MEDIA_STORAGE = os.environ.get("MEDIA_STORAGE", "local").strip().lower()
if MEDIA_STORAGE not in ("local", "s3"):
    raise ImproperlyConfigured(f"MEDIA_STORAGE must be 'local' or 's3', not {MEDIA_STORAGE!r}.")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if MEDIA_STORAGE == "s3":
    if not os.environ.get("AWS_STORAGE_BUCKET_NAME"):
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME (see docs/deployment.md).")
    _s3 = {
        "bucket_name": os.environ["AWS_STORAGE_BUCKET_NAME"],
        # Unset: AWS itself; set for MinIO, Ceph or another S3-compatible service.
        "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
        "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
        # Unset: boto3's own chain (instance role, ~/.aws) finds the credentials.
        "access_key": os.environ.get("AWS_ACCESS_KEY_ID") or None,
        "secret_key": os.environ.get("AWS_SECRET_ACCESS_KEY") or None,
        # Objects stay private: downloads go through the site (permissions, access log), never
        # through a bucket URL, and no ACL is sent (many buckets refuse ACLs).
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": True,
    }
    for _alias, _location in (("default", "media"), ("dicom", "dicom")):
        STORAGES[_alias] = {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**_s3, "location": _location},
        }
# Uploads land here before the import task de-identifies them; the task deletes them after.
UPLOAD_STAGING_ROOT = Path(os.environ.get("UPLOAD_STAGING_ROOT", DATA_DIR / "staging"))
# The PACS coordinators may search and pull from in the browser (imaging/pacs_browse.py): its
# DICOMweb root and user; the password comes from PACS_PASSWORD. Empty: no PACS page.
PACS_DICOMWEB_URL = os.environ.get("PACS_DICOMWEB_URL", "")
PACS_USERNAME = os.environ.get("PACS_USERNAME", "")
# A reports upload previewed but never committed or discarded is deleted, staged file and all,
# after this many hours (it holds the RIS export as it came; cmr_reader/reports/report_uploads.py).
REPORT_UPLOAD_MAX_AGE_HOURS = float(os.environ.get("REPORT_UPLOAD_MAX_AGE_HOURS", "24"))
# Serve WADO-RS frames to recently authorised sessions without the Django stack (see
# cmr_reader/imaging/frame_fast_lane.py). Off: every frame request goes through Django.
FRAME_FAST_LANE = env_bool("FRAME_FAST_LANE", True)
# How long a generation chunk's worker may go without storing a case before another worker may
# take the chunk over (cmr_reader/reports/models.py, GenerationChunk).
GENERATION_LEASE_SECONDS = int(os.environ.get("GENERATION_LEASE_SECONDS", str(30 * 60)))
# A worker whose model fails this many cases in a row stops (a broken GPU or model) instead of
# recording a failure for every case (cmr_reader/reports/generation.py).
GENERATION_MAX_FAILURES_IN_A_ROW = int(os.environ.get("GENERATION_MAX_FAILURES_IN_A_ROW", "5"))
# A worker that stops on a chunk gives it back to the others; after this many workers stopped on
# the same chunk (the model is broken everywhere, not one machine), the chunk fails with the reason.
GENERATION_MAX_WORKERS_STOPPED_PER_CHUNK = int(
    os.environ.get("GENERATION_MAX_WORKERS_STOPPED_PER_CHUNK", "2")
)

# Processes that prepare (read, check, de-identify, encode) files during an import; the
# database work stays in one process. 1 turns the pool off.
INGEST_WORKERS = int(os.environ.get("INGEST_WORKERS", min(4, os.cpu_count() or 1)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# One web upload (all its files) is refused with 413 above this, before its body is read. An
# examination is ~0.5-2 GB; the reverse proxy's own limit (client_max_body_size) must be as large.
UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", str(4 * 1024**3)))
# A folder upload of one CMR examination is hundreds to a few thousand files (Django's default
# allows 100).
DATA_UPLOAD_MAX_NUMBER_FILES = int(os.environ.get("DATA_UPLOAD_MAX_NUMBER_FILES", "20000"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "imports", "inference"],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "CMR Reader API",
    "DESCRIPTION": "Blinded expert evaluation of AI-generated cardiac MRI reports.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# LOG_FORMAT=json writes one JSON object a line (for a log collector); the default is plain text.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "cmr_reader.logging_json.JsonFormatter"},
    },
    "filters": {"request_id": {"()": "cmr_reader.request_id.RequestIdFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "text",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # dicomweb-client and urllib3 log request URLs, which carry the PACS's original UIDs.
        "dicomweb_client": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
    },
}
