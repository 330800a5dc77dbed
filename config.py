"""Configuration: everything secret comes from the environment or files it names."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("CASUSTAFEL_INSTANCE", BASE_DIR / "instance"))


class Config:
    ENV_NAME = "base"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'casustafel.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SQLALCHEMY_ECHO = False
    # Path of the keyring file (JSON, mode 0400). Production reads keys only from it.
    CASUSTAFEL_KEYRING = os.environ.get("CASUSTAFEL_KEYRING", str(INSTANCE_DIR / "keyring.json"))
    # Development/tests only: the keyring JSON itself in an environment variable.
    CASUSTAFEL_KEYRING_JSON = os.environ.get("CASUSTAFEL_KEYRING_JSON")

    # Accounts and sessions (docs/security.md: idle ≤ 30 min, absolute ≤ 12 h).
    REQUIRE_TOTP = os.environ.get("CASUSTAFEL_REQUIRE_TOTP", "0") == "1"
    SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
    FRESH_LOGIN_WINDOW = timedelta(minutes=10)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    SESSION_COOKIE_NAME = "casustafel"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = timedelta(0)
    ARGON2_PROFILE = "RFC_9106_LOW_MEMORY"
    PASSWORD_MIN_LENGTH = 12
    PASSWORD_MAX_BYTES = 1024

    # Single sign-on with the municipality's account (OpenID Connect, casustafel/auth/oidc.py):
    # off unless OIDC_ISSUER is set. README "Configuration" and docs/deployment.md give examples
    # for Entra ID, ADFS and Keycloak.
    OIDC_ISSUER = os.environ.get("OIDC_ISSUER") or None
    # Default: OIDC_ISSUER + /.well-known/openid-configuration.
    OIDC_DISCOVERY_URL = os.environ.get("OIDC_DISCOVERY_URL") or None
    OIDC_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID") or None
    # A file holding the client secret (mode 0400); none: a public client (PKCE only).
    OIDC_CLIENT_SECRET_FILE = os.environ.get("OIDC_CLIENT_SECRET_FILE") or None
    OIDC_SCOPES = os.environ.get("OIDC_SCOPES", "openid email profile")
    OIDC_EMAIL_CLAIM = os.environ.get("OIDC_EMAIL_CLAIM", "email")
    OIDC_NAME_CLAIM = os.environ.get("OIDC_NAME_CLAIM", "name")
    OIDC_GROUPS_CLAIM = os.environ.get("OIDC_GROUPS_CLAIM", "groups")
    # Roles from the groups claim, "group=role,group=role" or a JSON object; empty: roles are
    # granted in the app only. A mapped role other than reporter waits for approval the first time.
    OIDC_GROUP_ROLE_MAP = os.environ.get("OIDC_GROUP_ROLE_MAP", "")
    # `amr` values and `acr` values (comma-separated) that mean the provider did multi-factor
    # authentication: then no local TOTP is asked.
    OIDC_MFA_AMR = os.environ.get("OIDC_MFA_AMR", "mfa")
    OIDC_MFA_ACR = os.environ.get("OIDC_MFA_ACR", "")
    # 0: accounts linked to the municipality's account can no longer log in with a password
    # (local accounts of partners and the emergency admin always can).
    OIDC_LOCAL_PASSWORDS = os.environ.get("OIDC_LOCAL_PASSWORDS", "1") == "1"
    # The button's text on the login page.
    OIDC_BUTTON = os.environ.get("OIDC_BUTTON", "Inloggen met uw gemeenteaccount")

    # Rate limits: memory per process; production uses Redis so all workers share counts.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = False
    LOGIN_LIMIT_PER_IP = "20 per minute;200 per hour"
    # Failed logins per (account, address); per account from all addresses together (then only
    # addresses the account used before may try); the e-mail to the holder after this many.
    LOGIN_LIMIT_PER_ACCOUNT = "5 per minute;30 per hour"
    LOGIN_LIMIT_ACCOUNT_WIDE = "50 per hour;200 per day"
    LOGIN_WARN_AFTER = "10 per hour"

    # Blind-index width (docs/security.md "Blind-index leakage"). Give the number of values the
    # largest index will hold over the data's lifetime (about the number of subjects); the width
    # is then the widest with C = values / 2^bits ≥ 2 expected coincidences per value
    # (CipherSweet's planner: 2 ≤ C ≤ √R): 10 000 → 12 bits, 100 000 → 15, 1 000 000 → 18.
    # CASUSTAFEL_BLIND_INDEX_BITS sets the width outright; start-up refuses one outside that
    # range. The database keeps the width its indexes were made with: after a change, run
    # `flask blind-index rewidth`. Both are settled as integers at start-up (keys.init_app).
    BLIND_INDEX_EXPECTED_VALUES = os.environ.get("CASUSTAFEL_BLIND_INDEX_EXPECTED_VALUES", "10000")
    BLIND_INDEX_BITS = os.environ.get("CASUSTAFEL_BLIND_INDEX_BITS") or None

    WTF_CSRF_TIME_LIMIT = 8 * 3600
    # Flask-WTF's HTTPS referrer check needs a Referer header, which browsers never send under
    # our `Referrer-Policy: no-referrer` (every POST over HTTPS would be a 400). The CSRF token
    # (per session, signed) and SameSite=Lax cookies remain the defence.
    WTF_CSRF_SSL_STRICT = False
    WTF_I18N_ENABLED = False  # Dutch WTForms messages come from casustafel.forms.Form.Meta
    # Uploads: each file at most MAX_ATTACHMENT_SIZE (checked with a field message); the whole
    # request at most MAX_CONTENT_LENGTH (a 413 page beyond that).
    MAX_ATTACHMENT_SIZE = int(os.environ.get("CASUSTAFEL_MAX_ATTACHMENT_MB", "20")) * 1024 * 1024
    MAX_CONTENT_LENGTH = 110 * 1024 * 1024
    # A mail taken over on the registration page (.eml/.msg, attachments included): at most this.
    MAIL_INTAKE_MAX_BYTES = int(os.environ.get("CASUSTAFEL_MAIL_INTAKE_MAX_MB", "20")) * 1024 * 1024
    # Encrypted attachment store and upload spool; default: folders in instance/.
    if os.environ.get("CASUSTAFEL_ATTACHMENT_DIR"):
        ATTACHMENT_DIR = os.environ["CASUSTAFEL_ATTACHMENT_DIR"]
    if os.environ.get("CASUSTAFEL_UPLOAD_TMP_DIR"):
        UPLOAD_TMP_DIR = os.environ["CASUSTAFEL_UPLOAD_TMP_DIR"]
    MAX_FORM_MEMORY_SIZE = 2 * 1024 * 1024
    PROXY_FIX_HOPS = int(os.environ.get("CASUSTAFEL_PROXY_HOPS", "0"))
    # The address users reach the app at; e-mail links use it, never the request's Host header.
    PUBLIC_URL = os.environ.get("CASUSTAFEL_PUBLIC_URL")
    HSTS = False
    # The municipality's own name, letterhead and look on every page, e-mail and PDF (README
    # "Huisstijl en briefpapier"). What the admin fills in at Instellingen → Huisstijl wins;
    # these are the installation's defaults. An address has its lines separated by "|".
    ORGANISATION_NAME = os.environ.get("CASUSTAFEL_ORGANISATION_NAME")
    ORGANISATION_DEPARTMENT = os.environ.get("CASUSTAFEL_ORGANISATION_DEPARTMENT")
    ORGANISATION_POSTAL_ADDRESS = os.environ.get("CASUSTAFEL_ORGANISATION_ADDRESS", "").replace("|", "\n") or None
    ORGANISATION_WEBSITE = os.environ.get("CASUSTAFEL_ORGANISATION_WEBSITE")
    ORGANISATION_CONTACT_NAME = os.environ.get("CASUSTAFEL_ORGANISATION_CONTACT_NAME")
    ORGANISATION_CONTACT_ROLE = os.environ.get("CASUSTAFEL_ORGANISATION_CONTACT_ROLE")
    ORGANISATION_CONTACT_PHONE = os.environ.get("CASUSTAFEL_ORGANISATION_CONTACT_PHONE")
    ORGANISATION_CONTACT_EMAIL = os.environ.get("CASUSTAFEL_ORGANISATION_CONTACT_EMAIL")
    ORGANISATION_SIGNATORY_NAME = os.environ.get("CASUSTAFEL_ORGANISATION_SIGNATORY_NAME")
    ORGANISATION_SIGNATORY_ROLE = os.environ.get("CASUSTAFEL_ORGANISATION_SIGNATORY_ROLE")
    # A theme: the class its design tokens are defined on, a local stylesheet loaded after
    # casustafel's own (CSP 'self': served by the app) and a logo (PNG or JPEG), as file paths.
    ORGANISATION_THEME_CLASS = os.environ.get("CASUSTAFEL_THEME_CLASS")
    ORGANISATION_THEME_STYLESHEET = os.environ.get("CASUSTAFEL_THEME_STYLESHEET")
    ORGANISATION_LOGO = os.environ.get("CASUSTAFEL_LOGO")
    # Notifications: SMTP when MAIL_SERVER is set; otherwise kept in the outbox and logged.
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_STARTTLS = os.environ.get("MAIL_STARTTLS", "1") == "1"
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_FROM = os.environ.get("MAIL_FROM", "casustafel@localhost")
    # CA certificates (PEM) that sign the mail server's certificate; unset: the system store.
    # The certificate and host name are always verified.
    MAIL_CA_FILE = os.environ.get("MAIL_CA_FILE")
    # Refusals of one message (RCPT or DATA) before it is given up; outages do not count.
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "10"))
    # The meldpunt mailbox as a channel (`flask mail fetch`): IMAP over TLS (implicit TLS, port
    # 993; the certificate and host name are always verified, against MAIL_FETCH_CA_FILE or the
    # system store). The password is read from a file, never from the environment.
    MAIL_FETCH_HOST = os.environ.get("MAIL_FETCH_HOST") or None
    MAIL_FETCH_PORT = int(os.environ.get("MAIL_FETCH_PORT", "993"))
    MAIL_FETCH_USER = os.environ.get("MAIL_FETCH_USER") or None
    MAIL_FETCH_PASSWORD_FILE = os.environ.get("MAIL_FETCH_PASSWORD_FILE") or None
    MAIL_FETCH_CA_FILE = os.environ.get("MAIL_FETCH_CA_FILE") or None
    MAIL_FETCH_FOLDER = os.environ.get("MAIL_FETCH_FOLDER", "INBOX")
    MAIL_FETCH_PROCESSED_FOLDER = os.environ.get("MAIL_FETCH_PROCESSED_FOLDER", "Verwerkt")
    # A bigger message becomes a concept without its content (marked "te groot"), see mailbox.py.
    MAIL_FETCH_MAX_BYTES = int(os.environ.get("MAIL_FETCH_MAX_MB", "25")) * 1024 * 1024


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    # A new random key per process unless set: never a known key, even in development.
    SECRET_KEY = os.environ.get("SECRET_KEY") or secrets.token_hex(32)


class TestConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key"  # tests only  # noqa: S105  # nosec B105
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    if SQLALCHEMY_DATABASE_URI == "sqlite://":
        # One shared in-memory database for the whole test session.
        from sqlalchemy.pool import StaticPool

        SQLALCHEMY_ENGINE_OPTIONS = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
    else:
        # A test that waits on a lock its own session holds fails after a minute instead of
        # hanging the run.
        SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "connect_args": {"options": "-c lock_timeout=60000"}}
    ARGON2_PROFILE = "CHEAPEST"
    OIDC_ISSUER = None  # tests/test_oidc.py configures its own provider
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    # Fixed test keys: 32 bytes each, never used outside tests.
    CASUSTAFEL_KEYRING = None
    CASUSTAFEL_KEYRING_JSON = (
        '{"version": 1, "purposes": {'
        '"enc": {"primary": 1, "keys": {"1": "ZW5jLXRlc3Qta2V5LTAwMDAwMDAwMDAwMDAwMDAwMDA="}},'
        '"bidx": {"primary": 1, "keys": {"1": "YmlkeC10ZXN0LWtleS0wMDAwMDAwMDAwMDAwMDAwMDA="}},'
        '"file": {"primary": 1, "keys": {"1": "ZmlsZS10ZXN0LWtleS0wMDAwMDAwMDAwMDAwMDAwMDA="}},'
        '"audit": {"primary": 1, "keys": {"1": "YXVkaXQtdGVzdC1rZXktMDAwMDAwMDAwMDAwMDAwMDA="}}}}'
    )


class ProductionConfig(Config):
    ENV_NAME = "production"
    REQUIRE_TOTP = True
    SESSION_COOKIE_SECURE = True
    HSTS = True
    PROXY_FIX_HOPS = int(os.environ.get("CASUSTAFEL_PROXY_HOPS", "1"))

    @classmethod
    def check(cls, app_config) -> None:
        """Refuse to start without secrets, with debug on, or with keys from the environment."""
        problems = []
        if not os.environ.get("SECRET_KEY"):
            problems.append("SECRET_KEY ontbreekt")
        if not os.environ.get("DATABASE_URL"):
            problems.append("DATABASE_URL ontbreekt")
        if not os.environ.get("CASUSTAFEL_KEYRING"):
            problems.append("CASUSTAFEL_KEYRING (pad naar het sleutelbestand) ontbreekt")
        if not app_config.get("PUBLIC_URL"):
            problems.append("CASUSTAFEL_PUBLIC_URL (het adres van de applicatie) ontbreekt")
        if app_config.get("RATELIMIT_STORAGE_URI", "memory://").startswith("memory://"):
            problems.append("RATELIMIT_STORAGE_URI moet gedeeld zijn (redis://…), anders telt elke worker apart")
        if app_config.get("CASUSTAFEL_KEYRING_JSON"):
            problems.append("sleutels in een omgevingsvariabele zijn in productie niet toegestaan")
        if app_config.get("DEBUG"):
            problems.append("debug staat aan")
        if app_config.get("OIDC_ISSUER"):
            if not app_config["OIDC_ISSUER"].startswith("https://"):
                problems.append("OIDC_ISSUER moet een https-adres zijn")
            if not app_config.get("OIDC_CLIENT_ID"):
                problems.append("OIDC_CLIENT_ID ontbreekt")
            if not app_config.get("OIDC_CLIENT_SECRET_FILE"):
                problems.append("OIDC_CLIENT_SECRET_FILE (pad naar het clientgeheim) ontbreekt")
        if problems:
            raise RuntimeError("Productieconfiguratie onvolledig: " + "; ".join(problems))


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestConfig,
    "production": ProductionConfig,
}
