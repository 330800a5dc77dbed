"""The production configuration under gunicorn, against PostgreSQL and Redis, over HTTP.

Runs in the PostgreSQL pass of the suite (TEST_DATABASE_URL=postgresql…): a scratch database
`<test database>_smoke`, a private redis-server on a free port (SMOKE_REDIS_URL names a Redis
database to use instead; it is flushed), a keyring file made with `flask keys init` and
accounts made with `flask users create`, exactly as the operator's guide
(docs/deployment.md) says. gunicorn uses docs/deploy/gunicorn.conf.py, on a free port.
Nothing is shared with another run of this module on the same host.

The test client plays nginx: plain HTTP to 127.0.0.1 with X-Forwarded-Proto https and
X-Forwarded-For, which ProxyFix (1 hop) trusts.
Also reference R2 (database connections killed under load) and R11 (worker killed during a
50 MB upload).
"""

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.server import Client, ProductionServer, drop_database, form_fields, free_port, log_in

TEST_URL = os.environ.get("TEST_DATABASE_URL", "")
SHARED_REDIS_URL = "redis://127.0.0.1:6379/11"  # only without redis-server on PATH: not isolated
PASSWORD = "smoke test password 2026"
# Guards against a hang, not expectations: each bounds a wait for something that normally
# takes well under a second, and only ends the wait early when it happens.
HANG = 60

DEPLOY = Path(__file__).resolve().parents[1] / "docs" / "deploy"


def test_deployment_files_agree_with_the_app():
    """Body limit, timeouts and proxy hops are the same in nginx, gunicorn and Flask."""
    import runpy

    from config import Config, ProductionConfig

    nginx = (DEPLOY / "nginx.conf").read_text()
    gunicorn = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    body = re.search(r"client_max_body_size (\d+)m;", nginx)
    assert int(body.group(1)) * 1024 * 1024 == Config.MAX_CONTENT_LENGTH
    assert "proxy_request_buffering off;" in nginx and "proxy_max_temp_file_size 0;" in nginx
    read_timeout = int(re.search(r"proxy_read_timeout (\d+)s;", nginx).group(1))
    assert gunicorn["timeout"] < read_timeout
    assert gunicorn["bind"].startswith("127.0.0.1:") and gunicorn["preload_app"] is False
    assert "%(q)s" not in gunicorn["access_log_format"] and "%(r)s" not in gunicorn["access_log_format"]
    assert "$request " not in nginx and "$args" not in nginx  # no query strings in the logs
    assert "X-Forwarded-For $remote_addr;" in nginx  # one hop, overwritten: ProxyFix hops = 1
    assert ProductionConfig.PROXY_FIX_HOPS == 1 or os.environ.get("CASUSTAFEL_PROXY_HOPS")
    env_example = (DEPLOY / "casustafel.env.example").read_text()
    assert re.search(r"^CASUSTAFEL_PROXY_HOPS=1$", env_example, re.M)
    assert re.search(r"^RATELIMIT_STORAGE_URI=redis://", env_example, re.M)
    units = {p.name: p.read_text() for p in (DEPLOY / "systemd").iterdir()}
    for name in ("retention", "reminders", "mail", "mail-fetch", "audit-checkpoint"):
        assert f"casustafel-{name}.timer" in units and f"casustafel-{name}.service" in units
    assert "audit checkpoint" in units["casustafel-audit-checkpoint.service"]


def _wait_until(condition, what: str, timeout: float = HANG) -> None:
    """Poll `condition` until it holds; fail naming `what` if it never does."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.05)


@contextlib.contextmanager
def _private_redis(folder: Path):
    """A redis-server of this run only, on a free port: another run of this module (another
    engineer, another CI job on the host) never sees, flushes or counts its keys, as it would
    in a fixed database of the shared server (the login throttle counts per account)."""
    env_url = os.environ.get("SMOKE_REDIS_URL")
    binary = shutil.which("redis-server")
    if env_url or binary is None:
        yield env_url or SHARED_REDIS_URL
        redis.Redis.from_url(env_url or SHARED_REDIS_URL).flushdb()
        return
    for _ in range(5):  # the free port may be taken before redis-server binds it: try another
        port = free_port()
        process = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
             "--dir", str(folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=port, socket_timeout=5)

        def settled(client=client, process=process):
            if process.poll() is not None:
                return True  # it could not bind the port
            with contextlib.suppress(redis.RedisError):
                # Answered by this process, not by whoever else may listen on the port.
                return client.info("server")["process_id"] == process.pid
            return False

        _wait_until(settled, "redis-server answers")
        client.close()
        if process.poll() is None:
            break
    else:
        raise AssertionError("could not start redis-server on a free port")
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not TEST_URL.startswith("postgresql"):
        pytest.skip("the production smoke test runs in the PostgreSQL pass")
    url = make_url(TEST_URL)
    scratch = url.set(database=f"{url.database}_smoke").render_as_string(hide_password=False)
    with _private_redis(tmp_path_factory.mktemp("redis")) as redis_url:
        srv = ProductionServer(tmp_path_factory.mktemp("production"), scratch, redis_url, workers=2, threads=4)
        srv.install()
        srv.create_user("beheer@smoke.test", "Beheer Smoke", "admin", PASSWORD)
        srv.create_user("regie@smoke.test", "Regie Smoke", "coordinator", PASSWORD)
        srv.start()
        srv.totp = {}
        yield srv
        if srv.process is not None and srv.process.poll() is None:
            srv.process.kill()
            srv.process.wait()
        drop_database(scratch)


def _engine(srv):
    return create_engine(srv.database_url, isolation_level="AUTOCOMMIT", poolclass=None)


def test_keyring_file_is_owner_read_only(server):
    assert server.keyring.stat().st_mode & 0o777 == 0o400
    assert server.keyring.parent.stat().st_mode & 0o777 == 0o700


def test_admin_logs_in_with_mandatory_totp_enrolment(server):
    client = Client(server.port, client_ip="198.51.100.10")
    secret, body = log_in(client, "beheer@smoke.test", PASSWORD)
    server.totp["beheer@smoke.test"] = secret
    assert "Beheer Smoke" in body  # the start page greets the user
    status, response, _ = client.get("/")
    assert status == 200
    assert response.getheader("Strict-Transport-Security", "").startswith("max-age=")
    session_cookie = [c for c in client.set_cookie_headers if c.startswith("casustafel=")][-1]
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie
    # Second login: the code step, no enrolment this time.
    other = Client(server.port, client_ip="198.51.100.11")
    _, body = log_in(other, "beheer@smoke.test", PASSWORD, secret)
    assert "Beheer Smoke" in body


def test_healthz_reports_only_the_database(server):
    status, _, body = Client(server.port).get("/healthz")
    assert status == 200
    assert body.strip() in ('{"database":"ok","status":"ok"}', '{"status":"ok","database":"ok"}')


def test_login_throttle_is_shared_by_all_workers(server):
    """5 failed passwords per account from one address per minute, counted in Redis, whichever
    worker answers; another address may still try (nobody locks a colleague out)."""
    assert len(server.worker_pids()) == 2
    for n, account in enumerate(("nobody-a@smoke.test", "nobody-b@smoke.test", "nobody-c@smoke.test")):
        statuses = []
        for address in [f"203.0.113.{n + 1}"] * 6 + [f"198.51.100.{n + 1}"]:
            client = Client(server.port, client_ip=address)  # a new connection each time
            _, _, body = client.get("/inloggen")
            fields = form_fields(body)
            fields.update(email=account, password="wrong password here")
            statuses.append(client.post("/inloggen", fields)[0])
            client.close()
        assert statuses == [200] * 5 + [429, 200], (account, statuses)
    keys = redis.Redis.from_url(server.redis_url).keys("*")
    assert any(b"login-pair" in key for key in keys) and any(b"login-account" in key for key in keys)


def _logged_in_coordinator(server, ip):
    client = Client(server.port, client_ip=ip)
    secret = server.totp.get("regie@smoke.test")
    server.totp["regie@smoke.test"], _ = log_in(client, "regie@smoke.test", PASSWORD, secret)
    return client


RECOVERY = 10  # seconds: the claim, back within this long after the kill
SETTLED = 7  # requests that start this long after the kill must all succeed (a margin within RECOVERY)
READERS = 6


def test_r2_database_connections_killed_under_load(server):
    """Kill every connection of the app mid-load: back within 10 s, no stuck worker, chain intact."""
    coordinator = _logged_in_coordinator(server, "198.51.100.20")
    server.coordinator = coordinator
    # (reader, started, ended, status) per request. A request is judged by when it ran, not by
    # when its answer arrived: a slow machine delivers answers late.
    results: list[tuple[int, float, float, int]] = []
    stop = threading.Event()

    def reader(n):
        client = Client(server.port, client_ip=f"198.51.100.{30 + n}", timeout=30)
        client.cookies = dict(coordinator.cookies)
        while not stop.is_set():
            started = time.monotonic()
            try:
                status = client.get("/meldingen" if n % 2 else "/healthz")[0]
            except OSError:
                status = 0
            results.append((n, started, time.monotonic(), status))
            time.sleep(0.05)  # pacing only

    def answered(since: float) -> bool:
        """Every reader has had an answer to a request it started at `since` or later."""
        return {n for n, started, _, _ in list(results) if started >= since} == set(range(READERS))

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(READERS)]
    for thread in threads:
        thread.start()
    # Under load first: every reader has been answered (not a fixed sleep a slow machine outlasts).
    _wait_until(lambda: answered(0), "every reader answered before the kill")
    engine = _engine(server)
    with engine.connect() as conn:
        # Taken before the kill: a request that ended earlier cannot have been hit by it.
        kill = time.monotonic()
        killed = conn.execute(
            text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                 "WHERE datname = :db AND pid <> pg_backend_pid()"),
            {"db": make_url(server.database_url).database},
        ).scalar()
    # Keep the load on for the whole window and until every reader has been answered for a
    # request it started in the window's last part, however slowly answers come.
    _wait_until(lambda: time.monotonic() >= kill + RECOVERY and answered(kill + SETTLED),
                "every reader answered after the kill", timeout=RECOVERY + HANG)
    stop.set()
    for thread in threads:
        thread.join(40)
    assert not any(t.is_alive() for t in threads), "a request hung"
    engine.dispose()
    assert killed >= 1
    before = [s for _, _, ended, s in results if ended < kill]
    after = [s for _, started, _, s in results if started >= kill + SETTLED]
    assert before and set(before) == {200}
    assert after and set(after) == {200}, sorted(set(after))
    failed = [s for *_, s in results if s != 200]
    assert all(s in (500, 503, 0) for s in failed)
    # No stuck workers: every worker answers several requests in parallel, quickly.
    pids = server.worker_pids()
    assert len(pids) == 2
    started = time.monotonic()
    statuses = []
    parallel = [threading.Thread(target=lambda: statuses.append(Client(server.port).get("/healthz")[0]))
                for _ in range(16)]
    for thread in parallel:
        thread.start()
    for thread in parallel:
        thread.join(20)
    assert statuses == [200] * 16 and time.monotonic() - started < 10
    assert server.flask("audit", "verify").returncode == 0


MARKER = b"PLAINTEXT-MARKER-R11-"
COUNTS = text("SELECT (SELECT count(*) FROM signal), (SELECT count(*) FROM attachment)")


def _worker_with_open_spool(server) -> int | None:
    spool_dir = str(server.upload_tmp_dir)
    for pid in server.worker_pids():
        fd_dir = Path(f"/proc/{pid}/fd")
        for fd in fd_dir.iterdir():
            try:
                if os.readlink(fd).startswith(spool_dir):
                    return pid
            except OSError:
                continue
    return None


def _files_containing(folder: Path, needle: bytes) -> list[Path]:
    hits = []
    for path in folder.rglob("*"):
        if path.is_file():
            try:
                if needle in path.read_bytes():
                    hits.append(path)
            except OSError:
                continue
    return hits


def test_r11_worker_killed_during_a_50_mb_upload(server):
    coordinator = getattr(server, "coordinator", None) or _logged_in_coordinator(server, "198.51.100.40")
    _, _, page = coordinator.get("/meldpunt")
    csrf = form_fields(page, "")["csrf_token"]
    engine = _engine(server)
    with engine.connect() as conn:
        counts_before = conn.execute(COUNTS).one()

    boundary = "r11boundary"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="description"\r\n\r\nR11\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; filename="groot.txt"\r\n'
            f"Content-Type: text/plain\r\n\r\n").encode()
    total = 50 * 1024 * 1024
    chunk = (MARKER + b"x" * (65536 - len(MARKER)))
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    request_head = (
        f"POST /meldpunt HTTP/1.1\r\nHost: casustafel.test\r\nX-Forwarded-Proto: https\r\n"
        f"X-Forwarded-For: 198.51.100.40\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(head) + total + 40}\r\n"
        f"Cookie: {'; '.join(f'{k}={v}' for k, v in coordinator.cookies.items())}\r\n\r\n"
    ).encode()
    sock.sendall(request_head + head)
    sent = 0
    while sent < total // 2:  # 25 MB of the 50 MB
        sock.sendall(chunk)
        sent += len(chunk)
    pid = None

    def spooling() -> bool:
        nonlocal pid
        pid = _worker_with_open_spool(server)
        return pid is not None

    _wait_until(spooling, "a worker holds an upload spool")
    # It was being written: more than 10 MB of ciphertext on disk. Waited for, not checked at
    # once: loopback socket buffers can grow to tens of MB (tcp_rmem), so when sendall returns,
    # much of what was sent may not have reached a busy worker yet.
    _wait_until(lambda: sum(p.stat().st_size for p in server.upload_tmp_dir.glob(".upload-*")) > 10 * 1024 * 1024,
                "more than 10 MB in the upload spool")
    os.kill(pid, signal.SIGKILL)
    try:
        while sent < total:
            sock.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass  # the connection died with the worker
    sock.close()

    # No plaintext anywhere the app writes: spool, store, instance, gunicorn's tmp dir.
    for folder in (server.instance, Path("/dev/shm")):  # noqa: S108
        assert _files_containing(folder, MARKER) == []
    leftovers = list(server.upload_tmp_dir.glob(".upload-*"))
    assert leftovers, "the killed worker's spool is still there (it is swept at the next start)"
    # No dangling row.
    with engine.connect() as conn:
        counts_after = conn.execute(COUNTS).one()
    assert tuple(counts_after) == tuple(counts_before)
    # The master replaced the worker (it reaps and forks asynchronously: wait, do not race it)
    # and the app still answers.
    _wait_until(lambda: pid not in server.worker_pids() and len(server.worker_pids()) == 2,
                "the killed worker replaced")
    assert Client(server.port).get("/healthz")[0] == 200
    # Encrypted spools are swept when a worker starts, once they are stale (older than an hour:
    # younger ones may belong to a sibling worker's upload in progress).
    old = time.time() - 2 * 3600
    for path in leftovers:
        os.utime(path, (old, old))
    server.reload_workers()
    assert [p for p in leftovers if p.exists()] == []
    engine.dispose()


def test_stops_cleanly(server):
    logged = len(server.error_log())
    assert server.stop() == 0
    assert not re.search(r"Traceback|\[CRITICAL\]|\[ERROR\]", server.error_log()[logged:])
