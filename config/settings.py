"""Ruamkid settings. Everything that differs between a laptop and production comes from
the environment (config/env.py), and a bad value stops start-up naming the variable.

Embedded default (`make run`): SQLite file, eager tasks after commit, local-memory cache,
console email. Production / CI: DATABASE_URL, REDIS_URL, EMAIL_URL, HTTPS=true.
"""

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from .env import env_bool, env_database, env_email, env_int, env_json_object, env_list, env_redis, env_site_url, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
_DEV_SECRET = "dev-insecure-ruamkid-secret-key-change-me-in-production-0123456789"
SECRET_KEY = env_str("SECRET_KEY") or _DEV_SECRET
if not DEBUG and SECRET_KEY == _DEV_SECRET and env_bool("HTTPS", False):
    from .env import EnvError

    raise EnvError("SECRET_KEY", "must be set in production (HTTPS=true)")
# Keyed hash for national ID numbers and IP addresses (PDPA: never stored in clear).
PII_HASH_KEY = env_str("PII_HASH_KEY") or SECRET_KEY
# Checkpoints of the audit chain head are signed with an Ed25519 key kept outside the database
# (docs/AUDIT.md): a hex or base64 seed here, else a key file made once (back it up with var/).
AUDIT_SIGNING_KEY = env_str("AUDIT_SIGNING_KEY") or ""
AUDIT_SIGNING_KEY_FILE = env_str("AUDIT_SIGNING_KEY_FILE") or str(VAR_DIR / "audit-signing.key")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Links in emails: SITE_URL, else http://HOST:PORT (what `make run` serves on; config/env.py).
SITE_URL = env_site_url("SITE_URL")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "notifications",
    "workflows",
    "petitions",
    "consultations",
    "complaints",
    "surveys",
    "opendata",  # open data, statistics, ITA evidence: reads every domain app
    "config",  # project-wide commands (seed_demo)
]

MIDDLEWARE = [
    "config.middleware.ClientAddressMiddleware",  # first: everything after sees the client's address
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.ThaiFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "config.middleware.ApiJsonNotFound",
    "django.middleware.csrf.CsrfViewMiddleware",
    "workflows.parsers.TextInputMiddleware",  # a NUL in a query string or page form: 400 (after CSRF, which parsed the form)
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "accounts.context_processors.roles",
            ],
            "builtins": ["accounts.templatetags.thai"],
        },
    }
]

DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL + a busy timeout so the embedded default survives a few concurrent writers.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

AUTH_PASSWORD_VALIDATORS = [
    {
        # Our people have an email and a full name, not Django's first/last name.
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ["email", "full_name"]},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Against guessing and mail floods (accounts/limits.py, counted in the cache). Sized for a
# village meeting on one Wi-Fi: many people behind one address, a few typos each.
LOGIN_LIMIT_ACCOUNT = env_int("LOGIN_LIMIT_ACCOUNT", 5, minimum=1)  # wrong passwords for one account
LOGIN_LIMIT_ADDRESS = env_int("LOGIN_LIMIT_ADDRESS", 30, minimum=1)  # wrong passwords from one client address
LOGIN_LIMIT_SECONDS = env_int("LOGIN_LIMIT_SECONDS", 900, minimum=1)  # within this time; then locked as long
ACCOUNT_MAIL_LIMIT = env_int("ACCOUNT_MAIL_LIMIT", 3, minimum=1)  # reset/confirmation mails to one address
ACCOUNT_MAIL_LIMIT_ADDRESS = env_int("ACCOUNT_MAIL_LIMIT_ADDRESS", 50, minimum=1)  # asked from one client address
ACCOUNT_MAIL_LIMIT_SECONDS = env_int("ACCOUNT_MAIL_LIMIT_SECONDS", 3600, minimum=1)
# A password-reset link works this long (seconds), and once.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3600, minimum=60)

# --- Personal data (PDPA; accounts/privacy, docs/OPERATIONS.md#personal-data-pdpa). Signers' names,
# emails and ID/IP fingerprints are deleted this many days after a petition ends; sent mail (which
# holds addresses and names) this many days after it was sent. The notices quote these numbers.
PDPA_SIGNATURE_RETENTION_DAYS = env_int("PDPA_SIGNATURE_RETENTION_DAYS", 365, minimum=0)
PDPA_MAIL_RETENTION_DAYS = env_int("PDPA_MAIL_RETENTION_DAYS", 90, minimum=1)

# --- Language and time: Thai first, English second; Bangkok time, aware datetimes only.
LANGUAGE_CODE = "th"
LANGUAGES = [("th", _("Thai")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Bangkok"
USE_I18N = True
USE_TZ = True

# --- Static files: vendored under static/, served by whitenoise.
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns at start-up when it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]
HTTPS = env_bool("HTTPS", False)
# Uploaded files (complaint photos, attachments) go through Django's storage API: a folder under
# VAR_DIR/media by default, any S3-compatible store with django-storages (docs/OPERATIONS.md#files).
STORAGES = {
    "default": {
        "BACKEND": env_str("FILE_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"),
        "OPTIONS": env_json_object("FILE_STORAGE_OPTIONS", {}),
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if HTTPS
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not HTTPS
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

# --- Redis: broker, cache and throttles when REDIS_URL is set; otherwise embedded.
REDIS_URL = env_redis("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_PREFIX", "ruamkid"),
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "ruamkid")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {}  # each app adds its periodic tasks in its AppConfig.ready()
# The read lane (workflows/readcache.py, in front of Django in config/wsgi.py): anonymous GETs of the
# pages and API answers everyone refreshes are served from a per-process copy at most this many
# seconds old (0 turns it off); a workflow move drops the copies within READ_CACHE_CHECK_SECONDS.
READ_CACHE_SECONDS = env_int("READ_CACHE_SECONDS", 2)
READ_CACHE_CHECK_SECONDS = 0.5
READ_CACHE_ROUTES = [
    r"/",
    r"/petitions/",
    r"/petitions/\d+/",
    r"/petitions/\d+/widget/",
    r"/consultations/",
    r"/consultations/\d+/",
    r"/api/v1/petitions/",
    r"/api/v1/petitions/\d+/",
    r"/api/v1/petitions/\d+/count/",
    r"/api/v1/consultations/",
    r"/api/v1/consultations/\d+/",
]

# /healthz (config/health.py): beat queues a heartbeat every HEALTH_HEARTBEAT_SECONDS for a worker
# to run; 503 when the last one is older than HEALTH_WORKER_MAX_AGE or an outbox row has waited
# longer than HEALTH_OUTBOX_MAX_AGE to be relayed.
HEALTH_HEARTBEAT_SECONDS = env_int("HEALTH_HEARTBEAT_SECONDS", 30, minimum=1)
HEALTH_WORKER_MAX_AGE = env_int("HEALTH_WORKER_MAX_AGE", 120, minimum=1)
HEALTH_OUTBOX_MAX_AGE = env_int("HEALTH_OUTBOX_MAX_AGE", 300, minimum=1)
# Petitions: one inbox, one signer (docs/OPERATIONS.md#one-inbox-one-signer). Providers whose
# mailboxes ignore dots in the address ("j.o.h.n@" is "john@"), providers that ignore a "+tag"
# ("john+x@" is "john@"), and domains that are another name of one provider's mailboxes: for the
# duplicate checks of signing, such addresses are folded into one (john@gmail.com); the mail still
# reaches the same inbox. A household sharing one address may sign with distinct names in one
# village, at most PETITION_HOUSEHOLD_SIGNATURES times per petition (a local ordinance initiative
# also stays one signature per national ID).
PETITION_EMAIL_IGNORES_DOTS = env_list("PETITION_EMAIL_IGNORES_DOTS", ["gmail.com", "googlemail.com"])
PETITION_EMAIL_IGNORES_PLUS = env_list(
    "PETITION_EMAIL_IGNORES_PLUS",
    ["gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "icloud.com", "me.com", "proton.me"],
)
PETITION_EMAIL_DOMAIN_ALIASES = {"googlemail.com": "gmail.com"}
PETITION_HOUSEHOLD_SIGNATURES = env_int("PETITION_HOUSEHOLD_SIGNATURES", 4, minimum=1)
# A signature made while a petition was open may be confirmed this many hours after it closed (as
# the UK Parliament petitions site does); after that it is refused (409 confirmation_closed).
PETITION_CONFIRM_GRACE_HOURS = env_int("PETITION_CONFIRM_GRACE_HOURS", 24, minimum=0)
NOTIFICATIONS_FOLLOWABLE = ["petitions.petition", "consultations.consultation"]
# A complaint photo may be at most this large (complaints/photos.py re-encodes it without metadata).
COMPLAINT_PHOTO_MAX_BYTES = env_int("COMPLAINT_PHOTO_MAX_BYTES", 5 * 1024 * 1024)
# Files attached to consultations, decisions, progress updates and petitions (workflows/files.py): a
# PDF or a JPEG / PNG / WebP image, recognised by its content, at most this large.
ATTACHMENT_PDF_MAX_BYTES = env_int("ATTACHMENT_PDF_MAX_BYTES", 10 * 1024 * 1024, minimum=1)
ATTACHMENT_IMAGE_MAX_BYTES = env_int("ATTACHMENT_IMAGE_MAX_BYTES", 5 * 1024 * 1024, minimum=1)

# --- Email
_email = env_email("EMAIL_URL", "console://")
globals().update(_email)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Ruamkid <no-reply@ruamkid.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- LINE Official Account and SMS (docs/OPERATIONS.md#line-and-sms); a channel without its
# token / gateway URL is off: nobody is offered it and nothing is queued for it.
LINE_CHANNEL_ACCESS_TOKEN = env_str("LINE_CHANNEL_ACCESS_TOKEN", "")
LINE_API_BASE_URL = env_str("LINE_API_BASE_URL", "https://api.line.me").rstrip("/")
SMS_GATEWAY_URL = env_str("SMS_GATEWAY_URL", "")
SMS_GATEWAY_AUTH_HEADER = env_str("SMS_GATEWAY_AUTH_HEADER", "")  # "Name: value", e.g. "Authorization: Basic …"
SMS_GATEWAY_BODY = env_str("SMS_GATEWAY_BODY", '{"sender": "{sender}", "to": "{to}", "message": "{text}"}')
SMS_SENDER = env_str("SMS_SENDER", "Ruamkid")
try:
    if not isinstance(__import__("json").loads(SMS_GATEWAY_BODY), dict):
        raise ValueError
except ValueError:
    from .env import EnvError

    raise EnvError("SMS_GATEWAY_BODY", 'must be a JSON object, e.g. {"to": "{to}", "message": "{text}"}') from None
# LINE Login (docs/OPERATIONS.md#line-official-account-and-line-login): how a resident links their
# LINE account, so the Official Account can push to them. Without LINE_LOGIN_CHANNEL_ID nobody is
# offered the link. The Login channel must sit under the same LINE provider as the Messaging API
# channel (a user id is per provider). OpenID Connect; web login ID tokens are HS256 with the secret.
LINE_LOGIN_CHANNEL_ID = env_str("LINE_LOGIN_CHANNEL_ID", "")
LINE_LOGIN_CHANNEL_SECRET = env_str("LINE_LOGIN_CHANNEL_SECRET", "")
LINE_LOGIN_ISSUER = env_str("LINE_LOGIN_ISSUER", "https://access.line.me")
LINE_LOGIN_AUTHORIZE_URL = env_str("LINE_LOGIN_AUTHORIZE_URL", "https://access.line.me/oauth2/v2.1/authorize")
LINE_LOGIN_TOKEN_URL = env_str("LINE_LOGIN_TOKEN_URL", "https://api.line.me/oauth2/v2.1/token")
LINE_LOGIN_REDIRECT_URI = env_str("LINE_LOGIN_REDIRECT_URI", "")  # default: SITE_URL + /notifications/line/callback/
# "aggressive" / "normal": LINE offers to add the Official Account as a friend while linking (a
# push reaches only friends); "" does not.
LINE_LOGIN_BOT_PROMPT = env_str("LINE_LOGIN_BOT_PROMPT", "aggressive")
if LINE_LOGIN_CHANNEL_ID and not LINE_LOGIN_CHANNEL_SECRET:
    from .env import EnvError

    raise EnvError("LINE_LOGIN_CHANNEL_SECRET", "LINE_LOGIN_CHANNEL_ID is set: the channel secret is needed too")
if LINE_LOGIN_BOT_PROMPT not in ("", "normal", "aggressive"):
    from .env import EnvError

    raise EnvError("LINE_LOGIN_BOT_PROMPT", 'must be "aggressive", "normal" or empty')
NOTIFICATIONS_LINE_PER_RECIPIENT_HOUR = env_int("NOTIFICATIONS_LINE_PER_RECIPIENT_HOUR", 20)
NOTIFICATIONS_LINE_PER_ORG_DAY = env_int("NOTIFICATIONS_LINE_PER_ORG_DAY", 5000)
NOTIFICATIONS_SMS_PER_RECIPIENT_HOUR = env_int("NOTIFICATIONS_SMS_PER_RECIPIENT_HOUR", 5)
NOTIFICATIONS_SMS_PER_ORG_DAY = env_int("NOTIFICATIONS_SMS_PER_ORG_DAY", 500)

# --- ThaID, the government digital ID (docs/OPERATIONS.md#thaid): an OpenID Connect provider that
# verifies a resident's identity. Without THAID_ISSUER the option is not offered.
THAID_ISSUER = env_str("THAID_ISSUER", "")
THAID_CLIENT_ID = env_str("THAID_CLIENT_ID", "")
THAID_CLIENT_SECRET = env_str("THAID_CLIENT_SECRET", "")
THAID_SCOPES = env_str("THAID_SCOPES", "openid pid")
THAID_ID_CLAIM = env_str("THAID_ID_CLAIM", "pid")  # the ID token claim that carries the 13-digit national ID
THAID_REDIRECT_URI = env_str("THAID_REDIRECT_URI", "")  # default: SITE_URL + /accounts/verification/thaid/callback/
if THAID_ISSUER and not (THAID_CLIENT_ID and THAID_CLIENT_SECRET):
    from .env import EnvError

    raise EnvError("THAID_CLIENT_ID", "THAID_ISSUER is set: THAID_CLIENT_ID and THAID_CLIENT_SECRET are needed too")
if THAID_ISSUER and "openid" not in THAID_SCOPES.split():
    from .env import EnvError

    raise EnvError("THAID_SCOPES", "must include openid")

# --- API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous API call gets 401 + WWW-Authenticate, not a bare 403.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    # One JSON parser (a depth limit, no NUL or lone surrogates) for every API view: workflows/parsers.py.
    "DEFAULT_PARSER_CLASSES": [
        "workflows.parsers.JSONParser",
        "workflows.parsers.FormParser",
        "workflows.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "workflows.paging.CursorPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer", "rest_framework.renderers.BrowsableAPIRenderer"],
    # REMOTE_ADDR is already the client's address (config.middleware.ClientAddressMiddleware); DRF
    # must not read X-Forwarded-For itself, which anyone can send.
    "NUM_PROXIES": 0,
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle", "rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("THROTTLE_ANON", "600/min"),
        "user": env_str("THROTTLE_USER", "1200/min"),
        "token": env_str("THROTTLE_TOKEN", "10/min"),  # config.api.TokenView: password guessing
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Ruamkid API",
    "DESCRIPTION": "Public consultation and e-petition workflow engine for Thai local governments.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["config.api.document_plain_views"],  # the plain hot-path views (workflows.jsonviews)
    # The errors every operation can answer, in the one error shape (after drf-spectacular's own enum hook).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "config.api.document_errors"],
    # One name per choice set shared across apps (petitions and consultations both have "state" and "kind").
    "ENUM_NAME_OVERRIDES": {
        "PetitionStateEnum": "petitions.models.State",
        "PetitionKindEnum": "petitions.models.Kind",
        "ConsultationStateEnum": "consultations.models.State",
        "ReportKindEnum": "consultations.models.Report.Kind",
        "ComplaintStateEnum": "complaints.models.State",
        "IntegrityStateEnum": "complaints.models.IntegrityState",
        "IntegrityKindEnum": "complaints.models.IntegrityKind",
        "SurveyStateEnum": "surveys.models.State",
        "NotificationModeEnum": "notifications.models.Mode",
    },
}

# --- Security (production: HTTPS=true)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"


# Content-Security-Policy and Permissions-Policy on every page (config.middleware.SecurityHeadersMiddleware;
# docs/OPERATIONS.md). Pages have no inline script or style (tests/config/test_security_headers.py reads
# every template), so an injected <script> or onclick= never runs. An empty value sends no header.
# form-action also covers where a form's answer redirects: "Link LINE" and "Verify with ThaID" post
# here and are sent on to the provider's authorize page, so those origins are allowed once configured
# (ThaID's: its issuer's, where DOPA serves the authorize endpoint).
def _origin(url: str) -> str:
    parts = __import__("urllib.parse").parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


_FORM_ACTION = "'self'" + "".join(
    " " + _origin(url) for url, on in ((LINE_LOGIN_AUTHORIZE_URL, LINE_LOGIN_CHANNEL_ID), (THAID_ISSUER, THAID_ISSUER)) if on
)
_CSP = [
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
    "connect-src 'self'", "object-src 'none'", "base-uri 'self'", f"form-action {_FORM_ACTION}", "frame-ancestors 'none'",
]  # fmt: skip
CONTENT_SECURITY_POLICY = env_str("CONTENT_SECURITY_POLICY", "; ".join(_CSP))
# Third-party pages that inject their own styles and start a worker: Swagger UI and Redoc (scripts
# still only from here).
_CSP_DOCS = [d.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'") for d in _CSP] + ["worker-src 'self' blob:"]
CONTENT_SECURITY_POLICY_PATHS = dict.fromkeys(
    ("/api/docs/", "/api/redoc/"), env_str("CONTENT_SECURITY_POLICY_DOCS", "; ".join(_CSP_DOCS))
)
CONTENT_SECURITY_POLICY_REPORT_ONLY = env_bool("CONTENT_SECURITY_POLICY_REPORT_ONLY", False)  # to try a new policy
# Nothing here uses the camera, microphone or payment; geolocation stays ours for complaint locations.
PERMISSIONS_POLICY = env_str(
    "PERMISSIONS_POLICY",
    "accelerometer=(), camera=(), display-capture=(), geolocation=(self), gyroscope=(), magnetometer=(), "
    "microphone=(), midi=(), payment=(), serial=(), usb=(), xr-spatial-tracking=()",
)
# Behind a reverse proxy the connection's address is the proxy's: the client's address is taken
# from X-Forwarded-For, but only on connections from TRUSTED_PROXIES (workflows/clientip.py).
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", ["127.0.0.1/32", "::1/128"] if BEHIND_PROXY else [])
try:
    from workflows.clientip import parse_networks

    parse_networks(TRUSTED_PROXIES)
except ValueError as exc:
    from .env import EnvError

    raise EnvError("TRUSTED_PROXIES", str(exc)) from None
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Deepest JSON a request may send (workflows/parsers.py); deeper answers 400 malformed_request.
JSON_MAX_DEPTH = env_int("JSON_MAX_DEPTH", 32, minimum=2)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
CSRF_FAILURE_VIEW = "config.views.csrf_failure"
