"""Run casustafel as in production (gunicorn, PostgreSQL, Redis) and talk to it over HTTP.

Shared by bench/load.py, bench/login_storm.py and tests/test_production_smoke.py. Only the
standard library on the client side (http.client), so no extra dependency.

The client plays the reverse proxy's part: plain HTTP to gunicorn on 127.0.0.1 with
`X-Forwarded-Proto: https` and an `X-Forwarded-For` per simulated user, as nginx sends them
(docs/deploy/nginx.conf). ProxyFix (1 hop) turns those into the scheme and client address.
The session cookie is Secure; the client sends it back anyway, as the browser would over
the TLS connection to nginx.
"""

import contextlib
import html.parser
import http.client
import json
import os
import re
import secrets
import signal
import subprocess  # nosec B404 - starts gunicorn and the flask CLI of this repository
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pyotp
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
GUNICORN_CONF = ROOT / "docs" / "deploy" / "gunicorn.conf.py"
PUBLIC_URL = "https://casustafel.test"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def recreate_database(url: str) -> None:
    """Drop and create the PostgreSQL database named in `url` (a scratch database)."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def drop_database(url: str) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    admin.dispose()


def flush_redis(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.close()


class ProductionServer:
    """A production-configured casustafel under gunicorn in `workdir`."""

    def __init__(self, workdir: Path, database_url: str, redis_url: str, workers: int = 2,
                 threads: int = 4, port: int | None = None):
        self.workdir = Path(workdir)
        self.database_url = database_url
        self.redis_url = redis_url
        self.workers = workers
        self.threads = threads
        self.port = port or free_port()
        self.instance = self.workdir / "instance"
        self.keyring = self.workdir / "keys" / "keyring.json"
        self.access_log = self.workdir / "access.log"
        self.process: subprocess.Popen | None = None
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("CASUSTAFEL_", "TEST_DATABASE"))},
            "CASUSTAFEL_ENV": "production",
            "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": database_url,
            "CASUSTAFEL_KEYRING": str(self.keyring),
            "CASUSTAFEL_PUBLIC_URL": PUBLIC_URL,
            "RATELIMIT_STORAGE_URI": redis_url,
            "CASUSTAFEL_INSTANCE": str(self.instance),
            "CASUSTAFEL_ACCESS_LOG": str(self.access_log),
            "CASUSTAFEL_BIND": f"127.0.0.1:{self.port}",
            "CASUSTAFEL_WORKERS": str(workers),
            "CASUSTAFEL_THREADS": str(threads),
            "PYTHONPATH": str(ROOT),
        }

    @property
    def upload_tmp_dir(self) -> Path:
        return self.instance / "uploads-tmp"

    @property
    def attachment_dir(self) -> Path:
        return self.instance / "attachments"

    # --- the flask CLI, as the operator runs it ---------------------------------------------

    def flask(self, *args: str, stdin: str | None = None, check: bool = True, env: dict | None = None):
        result = subprocess.run(  # noqa: S603  # nosec B603 - fixed executable, arguments from this code
            [str(VENV_BIN / "flask"), "--app", "casustafel", *args],
            input=stdin, capture_output=True, text=True, cwd=ROOT, env=env or self.env, timeout=300,
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed ({result.returncode}):\n"
                               f"{result.stdout}\n{result.stderr}")
        return result

    def install(self) -> None:
        """A fresh database, schema, keyring file and empty rate-limit store."""
        recreate_database(self.database_url)
        flush_redis(self.redis_url)
        self.instance.mkdir(parents=True, exist_ok=True)
        self.keyring.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.flask("db", "upgrade")
        self.flask("keys", "init")

    def create_user(self, email: str, name: str, role: str, password: str) -> None:
        self.flask("users", "create", email, "--name", name, "--role", role, "--password-stdin",
                   stdin=password + "\n")

    # --- gunicorn ---------------------------------------------------------------------------

    def start(self, timeout: float = 60) -> None:
        self.process = subprocess.Popen(  # noqa: S603  # nosec B603 - fixed executable, arguments from this code
            [str(VENV_BIN / "gunicorn"), "-c", str(GUNICORN_CONF), "casustafel:create_app()"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
            stderr=open(self.workdir / "gunicorn.err", "ab"),  # noqa: SIM115 - kept for the process' life
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped at start:\n{self.error_log()}")
            with contextlib.suppress(OSError):
                status, _, _ = Client(self.port).request("GET", "/healthz")
                if status == 200 and len(self.worker_pids()) >= self.workers:
                    return
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer /healthz in time:\n{self.error_log()}")

    def error_log(self) -> str:
        path = self.workdir / "gunicorn.err"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(p) for p in children.read_text().split()]
        except OSError:
            return []

    def stop(self, timeout: float = 40) -> int:
        """SIGTERM (graceful), wait; return gunicorn's exit code."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise

    def reload_workers(self, timeout: float = 60) -> None:
        """SIGHUP: the master replaces every worker (each new one sweeps stale spools)."""
        before = set(self.worker_pids())
        self.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            now = set(self.worker_pids())
            if len(now) >= self.workers and not now & before:
                with contextlib.suppress(OSError):
                    if Client(self.port).request("GET", "/healthz")[0] == 200:
                        return
            time.sleep(0.3)
        raise RuntimeError("workers were not replaced after SIGHUP")


# --- HTTP client --------------------------------------------------------------------------


class FormParser(html.parser.HTMLParser):
    """Collect forms: action, method and the default values of their inputs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._current: dict | None = None
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._current = {"action": attrs.get("action") or "", "method": (attrs.get("method") or "get").lower(),
                             "fields": {}}
            self.forms.append(self._current)
        elif tag in ("input", "button") and self._current is not None and attrs.get("name"):
            kind = (attrs.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if tag == "button" or kind == "submit":
                return
            self._current["fields"].setdefault(attrs["name"], attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None

    def handle_data(self, data):
        self.texts.append(data)


def parse_forms(body: str) -> list[dict]:
    parser = FormParser()
    parser.feed(body)
    return parser.forms


def form_fields(body: str, action_contains: str = "") -> dict:
    for form in parse_forms(body):
        if form["method"] == "post" and action_contains in form["action"] and "/uitloggen" not in form["action"]:
            return dict(form["fields"])
    raise AssertionError(f"no form with action containing {action_contains!r}")


class Client:
    """One browser: a cookie jar, a keep-alive connection, the proxy headers."""

    def __init__(self, port: int, client_ip: str = "198.51.100.7", timeout: float = 60):
        self.port = port
        self.client_ip = client_ip
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.set_cookie_headers: list[str] = []
        self.conn: http.client.HTTPConnection | None = None
        self.last_request_id: str | None = None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        """Return (status, headers, body text); follows no redirects."""
        all_headers = {
            "Host": urlsplit(PUBLIC_URL).netloc,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": self.client_ip,
            **(headers or {}),
        }
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=all_headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server closed in between: reconnect once.
                self.close()
                if attempt == 2:
                    raise
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                self.set_cookie_headers.append(value)
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                if val == "" or "expires=thu, 01 jan 1970" in value.lower() or "max-age=0" in value.lower():
                    self.cookies.pop(key.strip(), None)
                else:
                    self.cookies[key.strip()] = val
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        self.last_request_id = response.getheader("X-Request-ID")
        return response.status, response, data.decode("utf-8", errors="replace")

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, fields: dict | list, headers: dict | None = None):
        body = urlencode(fields, doseq=True).encode()
        return self.request("POST", path, body=body,
                            headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})

    def post_multipart(self, path: str, fields: dict, files: list[tuple[str, str, bytes, str]]):
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            values = value if isinstance(value, list) else [value]
            for item in values:
                disposition = f'Content-Disposition: form-data; name="{name}"'
                parts.append(f"--{boundary}\r\n{disposition}\r\n\r\n{item}\r\n".encode())
        for name, filename, content, content_type in files:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n".encode() + content + b"\r\n"
            )
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request("POST", path, body=b"".join(parts),
                            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})

    def follow(self, status: int, response, body: str, limit: int = 5):
        """Follow redirects with GET; return the last (status, response, body)."""
        while status in (301, 302, 303) and limit:
            location = urlsplit(response.getheader("Location"))
            status, response, body = self.get(location.path + (f"?{location.query}" if location.query else ""))
            limit -= 1
        return status, response, body


def expect(condition, message: str) -> None:
    """Like assert, but also under `python -O`."""
    if not condition:
        raise AssertionError(message)


_used_steps: dict[str, int] = {}
_steps_lock = threading.Lock()


def next_code(secret: str) -> str:
    """A code the server accepts: a step in (now-1, now, now+1) newer than the last one used.

    The server refuses a step it has seen (replay protection) and accepts one step of clock
    skew each way, so two logins in one 30 s step use the current and the next step.
    """
    totp = pyotp.TOTP(secret)
    while True:
        with _steps_lock:
            current = int(time.time() // totp.interval)
            last = _used_steps.get(secret, -1)
            for step in (current - 1, current, current + 1):
                if step > last:
                    _used_steps[secret] = step
                    return totp.generate_otp(step)
        time.sleep(1)


SECRET_RE = re.compile(r'class="utrecht-code app-secret">([A-Z2-7 ]+)<')


def log_in(client: Client, email: str, password: str, totp_secret: str | None = None) -> tuple[str, str]:
    """Password, then the TOTP code (enrolling first when needed, reading the key off the page).

    Returns (totp_secret, final page body). Raises AssertionError on any unexpected answer.
    """
    status, _, body = client.get("/inloggen")
    expect(status == 200, f"login page: {status}")
    fields = form_fields(body, "")
    fields.update(email=email, password=password)
    status, response, body = client.post("/inloggen", fields)
    expect(status == 302, f"password step: {status}")
    target = urlsplit(response.getheader("Location")).path
    status, _, body = client.get(target)
    expect(status == 200, f"{target}: {status}")
    if target.endswith("/koppelen"):
        match = SECRET_RE.search(body)
        expect(match, "enrolment page shows no key")
        totp_secret = match.group(1).replace(" ", "")
    expect(totp_secret, "a second factor is needed but no secret is known")
    for _ in range(3):
        fields = form_fields(body, "")
        fields["code"] = next_code(totp_secret)
        status, response, body = client.post(target, fields)
        if status == 302:
            break
    expect(status == 302, f"second factor: {status}")
    status, _, body = client.follow(status, response, body)
    expect(status == 200, f"after login: {status}")
    return totp_secret, body


def write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=2))


# --- seeding (runs inside the production environment: `python bench/server.py seed …`) ------


def seed_main(argv: list[str]) -> None:
    """Create users with known TOTP secrets and bulk signals; write the logins as JSON.

    Run with the server's environment (ProductionServer.seed), so it uses the production
    configuration, the keyring file and the database of the running installation.
    """
    import argparse

    parser = argparse.ArgumentParser(prog="bench/server.py seed")
    parser.add_argument("--coordinators", type=int, default=0)
    parser.add_argument("--reporters", type=int, default=0)
    parser.add_argument("--signals", type=int, default=0)
    parser.add_argument("--password", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from sqlalchemy import select as sa_select

    from bench.common import seed_signals
    from casustafel import create_app
    from casustafel.admin.services import create_user
    from casustafel.extensions import db
    from casustafel.models import Signal

    app = create_app()
    users = []
    with app.app_context():
        if args.signals:
            seed_signals(args.signals)
        for role, count in (("coordinator", args.coordinators), ("reporter", args.reporters)):
            for n in range(count):
                email = f"{role}{n}@bench.test"
                user = create_user(None, email, f"Bench {role} {n}", [role], args.password,
                                   must_change_password=False)
                user.totp_secret = pyotp.random_base32()
                user.totp_enabled = True
                users.append({"email": email, "role": role, "totp": user.totp_secret})
        db.session.commit()
        signal_ids = [str(i) for i in db.session.scalars(sa_select(Signal.id).order_by(Signal.received_at))]
    Path(args.out).write_text(json.dumps({"users": users, "signals": signal_ids}))


def seed(server: ProductionServer, password: str, **counts) -> dict:
    out = server.workdir / "seed.json"
    args = [f"--{k}={v}" for k, v in counts.items()]
    result = subprocess.run(  # noqa: S603  # nosec B603 - this repository's own script
        [sys.executable, str(Path(__file__).resolve()), "seed", *args, "--password", password, "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, env=server.env, timeout=1800,
    )
    if result.returncode != 0:
        raise RuntimeError(f"seeding failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(out.read_text())


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "seed":
    seed_main(sys.argv[2:])
