"""Fault test R6: `flask keys rotate` in a subprocess, SIGKILLed at random points, while a
reader thread keeps decrypting every row; for enc, bidx and file in turn.

Every row decrypts at every moment with its pre-rotation plaintext (fingerprints), search
results and linked signals stay identical throughout (dual-index lookup), a final rerun
converges to 0 rows on the old key, and the old key stays in the keyring file.

Runs on a SQLite file, or on a scratch PostgreSQL database next to TEST_DATABASE_URL.
KILLS per purpose: CASUSTAFEL_ROTATION_KILLS (default 20, as the reference asks). The random
seed is printed and can be fixed with CASUSTAFEL_ROTATION_SEED; it only chooses the order of
the kill points. A kill point is not found by racing the run: the killed run stops itself at
the chosen point (after N committed batches, or after k row writes of the next batch before
its commit) and waits there to be SIGKILLed, so every run is killed while work remains, on
any machine. The reader checks the database continuously and, besides, completes one full
pass after every kill. The killed runs are children forked from one pre-started app (see
Zygote); the final rerun of each purpose is a plain `flask keys rotate` process.
"""

import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import text
from sqlalchemy.engine import make_url

from casustafel import create_app, crypto, rotation
from casustafel.extensions import db
from config import TestConfig
from tests.helpers.rotation import QUERIES, field_fingerprints, file_fingerprints, search_results

KILLS = int(os.environ.get("CASUSTAFEL_ROTATION_KILLS", "20"))
SEED = int(os.environ.get("CASUSTAFEL_ROTATION_SEED", str(int(time.time()))))
BATCH_SIZE = {"enc": 2, "bidx": 1, "file": 1}
# A killed run commits at most MAX_BATCHES batches (see kill_points): with this many signals
# the kills never finish the job, so every kill lands while work remains and the rerun resumes.
MAX_BATCHES = 2
SIGNALS = max(24, 4 * KILLS)
LINKED_SAMPLE = 8  # the reader checks the linked signals of this many signals (every person and address)
FLASK = str(Path(sys.executable).with_name("flask"))


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """A SQLite file, or a scratch PostgreSQL database (dropped afterwards)."""
    folder = tmp_path_factory.mktemp("rotation-kill")
    suite = os.environ.get("TEST_DATABASE_URL", "")
    if not suite.startswith("postgresql"):
        yield folder, f"sqlite:///{folder / 'db.sqlite'}"
        return
    from sqlalchemy import create_engine

    url = make_url(suite)
    scratch = url.set(database=f"{url.database}_rotation_kill")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        # FORCE: a run that was itself killed may have left connections to its scratch database.
        conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{scratch.database}"'))
    yield folder, scratch.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def world(database):
    """The app in this process, the subprocess environment, and the seeded signals."""
    folder, url = database
    keyring_path = folder / "keyring.json"
    keyring_path.write_text(crypto.Keyring.generate().to_json())
    keyring_path.chmod(0o400)
    settings = {
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "CASUSTAFEL_KEYRING_JSON": None,
        "CASUSTAFEL_KEYRING": str(keyring_path),
        "ATTACHMENT_DIR": str(folder / "attachments"),
        "UPLOAD_TMP_DIR": str(folder / "uploads"),
    }
    app = create_app(type("RotationKillConfig", (TestConfig,), settings))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CASUSTAFEL_", "TEST_DATABASE"))}
    env.update(CASUSTAFEL_ENV="development", DATABASE_URL=url, CASUSTAFEL_KEYRING=str(keyring_path),
               CASUSTAFEL_INSTANCE=str(folder), CASUSTAFEL_ATTACHMENT_DIR=settings["ATTACHMENT_DIR"],
               CASUSTAFEL_UPLOAD_TMP_DIR=settings["UPLOAD_TMP_DIR"], PYTHONUNBUFFERED="1")
    with app.app_context():
        upgrade()
        _seed(app)
        db.session.remove()
    yield app, env, keyring_path
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _seed(app) -> None:
    import io

    from sqlalchemy import select

    from casustafel import linking
    from casustafel.models import Attachment, Location, Partner, Referral, Signal, Subject
    from casustafel.signals.services import next_reference

    people = [("Jan Jansen", "1980-01-02"), ("Müller", "1970-01-01"), ("Piet Pietersen", "1990-03-04")]
    addresses = [("1234 AB", "1"), ("5678 CD", "12"), ("1234 AB", "2"), ("9999 ZZ", "7")]
    store, keyring = app.extensions["casustafel_store"], app.extensions["casustafel_keyring"]
    partner_id = db.session.scalars(select(Partner.id)).first()
    for i in range(SIGNALS):
        signal_ = Signal(reference=next_reference(), channel="meldpunt", status="ingediend")
        signal_.description = f"Melding {i} over iets"
        subject = Subject(kind="persoon", role="vermoedelijk_betrokkene", position=0)
        signal_.subjects.append(subject)
        subject.name, subject.birth_date = people[i % len(people)]
        linking.index_subject(subject)
        location = Location(position=0)
        signal_.locations.append(location)
        location.postcode, location.house_number = addresses[i % len(addresses)]
        linking.index_location(location)
        item = Attachment(content_type="text/plain", size=0)
        item.filename = f"bijlage-{i}.txt"
        stored = store.save(item.id, io.BytesIO(f"inhoud {i}".encode() * 50), keyring)
        item.wrapped_key, item.digest, item.size = stored.wrapped_key, stored.digest, stored.size
        signal_.attachments.append(item)
        db.session.add(signal_)
        if i % 2:  # a sent referral: its package's file key is wrapped by the file key too
            referral = Referral(signal=signal_, partner_id=partner_id, status="verstuurd", legal_ground="wet",
                                legal_ground_text="Wet", data_categories=["betrokkenen"])
            referral.purpose = f"Verstrekking {i}"
            stored = store.save(referral.id, io.BytesIO(f"pakket {i}".encode() * 20), keyring)
            referral.package_wrapped_key, referral.package_digest = stored.wrapped_key, stored.digest
            db.session.add(referral)
        db.session.commit()


class Reader(threading.Thread):
    """Decrypt every field and file and run every search, over and over; record any difference."""

    def __init__(self, app, expected):
        super().__init__(daemon=True)
        self.app, self.expected = app, expected
        self.begun, self.passes, self.problems, self.seconds = 0, 0, [], []
        self.stopping = threading.Event()

    def snapshot(self):
        keyring = self.app.extensions["casustafel_keyring"]
        return (field_fingerprints(keyring), file_fingerprints(keyring, self.app.extensions["casustafel_store"]),
                search_results(QUERIES, LINKED_SAMPLE))

    def wait_for_a_pass_from_now(self, timeout=60):
        """Block until a pass that began after this call has ended."""
        mark, deadline = self.begun, time.monotonic() + timeout
        while self.passes <= mark and self.is_alive():
            if time.monotonic() > deadline:
                raise AssertionError("the reader made no progress")
            time.sleep(0.01)

    def run(self):
        while not self.stopping.is_set():
            started = time.monotonic()
            self.begun += 1
            with self.app.app_context():
                try:
                    got = self.snapshot()
                    if got != self.expected:
                        self.problems.append(f"pass {self.passes}: {_difference(self.expected, got)}")
                except Exception as error:  # every failure to read is a finding
                    self.problems.append(f"pass {self.passes}: {type(error).__name__}: {error}")
                finally:
                    db.session.remove()
            self.passes += 1
            self.seconds.append(time.monotonic() - started)


def _difference(expected, got) -> str:
    names = ("fields", "files", "searches")
    for name, a, b in zip(names, expected, got, strict=True):
        if a != b:
            keys = sorted({k for k in a.keys() | b.keys() if a.get(k) != b.get(k)}, key=str)
            return f"{name} differ at {keys[:3]} ({len(keys)} in all)"
    return "?"


# A pre-started app that forks one child per run of `flask keys rotate` (like a preloading
# server): each child is a separate process running the real command, SIGKILLed from outside,
# without paying the app's start-up time for every one of the many kills. Each child first
# loads and checks the keyring file as start-up does (keys.init_app), so it sees the key
# change like a restarted process. The final rerun of each purpose is a real `flask` process.
#
# Each request line is "<batches> <writes> <flask arguments>". The child (test code, not the
# app) wraps the rotation's row write (rotation._update, one UPDATE) and watches the session's
# commits, and stops at that point: once `batches` batches that wrote rows have committed and
# `writes` row writes of the next batch have run, still uncommitted (writes 0: right after
# that commit). Only the rotation's own writes count, not e.g. the audit event's. It prints
# "paused" and blocks, and the test SIGKILLs it there. It blocks reading a pipe whose other
# end only the test process holds, so it never wakes up by itself, yet cannot outlive a test
# process that died (EOF, exit 3).
ZYGOTE = """
import os, sys, traceback
from sqlalchemy import event
from sqlalchemy.orm import Session
from casustafel import create_app, keys, rotation
from casustafel.extensions import db
HOLD = int(sys.argv[1])
app = create_app()
with app.app_context():
    db.engine.dispose()
print("ready", flush=True)

real_update = rotation._update

def stop_at(batches, writes):
    state = {"committed": 0, "writes": 0}

    def pause():
        print("paused", flush=True)
        os.read(HOLD, 1)
        os._exit(3)

    def update(*args):
        written = real_update(*args)
        state["writes"] += written  # a row written, not yet committed
        if writes and state["committed"] >= batches and state["writes"] >= writes:
            pause()
        return written

    rotation._update = update

    @event.listens_for(Session, "after_commit")
    def committed(session):
        if state["writes"]:
            state["committed"] += 1
            state["writes"] = 0
            if not writes and state["committed"] >= batches:
                pause()

for line in sys.stdin:
    batches, writes, *args = line.split()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            with app.app_context():
                ring = keys.load_keyring(app.config)
                keys.verify_keyring(ring)
                app.extensions["casustafel_keyring"] = ring
                stop_at(int(batches), int(writes))
                app.cli.main(args=args, prog_name="flask", standalone_mode=False)
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        except BaseException:
            traceback.print_exc()
        sys.stdout.flush()
        os._exit(code)
    print(f"pid {pid}", flush=True)
    _, status = os.waitpid(pid, 0)
    print(f"exit {os.waitstatus_to_exitcode(status)}", flush=True)
"""

RUN_TIMEOUT = 120  # a guard against a hung run only: a run takes well under a second


def kill_points(purpose, rng) -> list[tuple[int, int]]:
    """KILLS points (batches committed, writes into the next batch), every kind of point in a
    seeded order: between batches (writes 0) and inside a batch before its commit."""
    points = [(batches, writes) for batches in range(MAX_BATCHES + 1)
              for writes in range(BATCH_SIZE[purpose] + 1) if batches or writes]
    rng.shuffle(points)
    # Start with a point after a commit, so that even a short run (few KILLS) keeps some work.
    first = next(i for i, (batches, _) in enumerate(points) if batches)
    points = points[first:] + points[:first]
    return [points[i % len(points)] for i in range(KILLS)]


class Zygote:
    def __init__(self, env):
        hold, self.hold = os.pipe()  # the children block reading `hold`; only this process can write
        self.proc = subprocess.Popen([sys.executable, "-c", ZYGOTE, str(hold)], env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     pass_fds=(hold,))
        os.close(hold)
        self.lines = []
        with self._guard():
            assert self._line() == "ready", self.lines

    @contextlib.contextmanager
    def _guard(self):
        """Kill the zygote (ending the wait for its output) if one step hangs."""
        guard = threading.Timer(RUN_TIMEOUT, self.proc.kill)
        guard.start()
        try:
            yield
        finally:
            guard.cancel()

    def _line(self) -> str:
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError("zygote ended: " + "".join(self.lines[-20:]))
        self.lines.append(line)
        return line.strip()

    def rotate_and_kill(self, purpose, point) -> str:
        """Run `keys rotate` in a child that stops at `point`; SIGKILL it there.
        Return "killed" (at the point), or "finished (code)" if it never reached the point."""
        batches, writes = point
        self.proc.stdin.write(f"{batches} {writes} keys rotate --purpose {purpose} "
                              f"--batch-size {BATCH_SIZE[purpose]}\n")
        self.proc.stdin.flush()
        pid, paused = None, False
        with self._guard():
            while True:
                line = self._line()
                if line.startswith("pid "):
                    pid = int(line.split()[1])
                elif line == "paused":
                    paused = True
                elif line.startswith("exit "):
                    code = int(line.split()[1])
                    return "killed" if paused and code == -signal.SIGKILL else f"finished ({code})"
                if paused and pid is not None:
                    os.kill(pid, signal.SIGKILL)  # it is blocked at the point: alive until this kill
                    pid = None  # the exit line follows

    def close(self):
        self.proc.stdin.close()
        os.close(self.hold)
        try:
            self.proc.wait(timeout=30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.stdout.close()


def _run(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run([FLASK, "--app", "casustafel", "keys", *args], env=env, capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def zygote(world):
    started = Zygote(world[1])
    yield started
    started.close()


@pytest.mark.parametrize("purpose", ["enc", "bidx", "file"])
def test_a_rotation_killed_at_random_points_keeps_every_row_readable_and_a_rerun_converges(world, zygote, purpose):
    app, env, keyring_path = world
    rng = random.Random(f"{SEED}-{purpose}")
    print(f"seed {SEED}, {KILLS} kills, {SIGNALS} signals, batch size {BATCH_SIZE}")
    runner = app.test_cli_runner()
    with app.app_context():
        expected = Reader(app, None).snapshot()
        assert len(expected[0]) >= 5 * SIGNALS and len(expected[1]) == SIGNALS + SIGNALS // 2
        assert all(expected[2][q] for q in map(tuple, QUERIES[:2]))
        db.session.remove()
        assert runner.invoke(args=["keys", "add", "--purpose", purpose]).exit_code == 0
        app.extensions["casustafel_keyring"] = crypto.Keyring.load(keyring_path)  # a restart
        assert runner.invoke(args=["keys", "primary", "--purpose", purpose, "--kid", "2"]).exit_code == 0
        keyring = app.extensions["casustafel_keyring"] = crypto.Keyring.load(keyring_path)
        on_old = rotation.rows_on_old_keys(keyring, purpose)
        assert on_old >= SIGNALS
        db.session.remove()

    points = kill_points(purpose, rng)
    reader = Reader(app, expected)
    reader.start()
    try:
        reader.wait_for_a_pass_from_now()  # one pass before any kill
        outcomes, kill_seconds = [], []
        for point in points:
            started = time.monotonic()
            outcomes.append(zygote.rotate_and_kill(purpose, point))
            kill_seconds.append(round(time.monotonic() - started, 2))
            reader.wait_for_a_pass_from_now()  # besides the passes during the run: one after each kill
        with app.app_context():
            left = rotation.rows_on_old_keys(keyring, purpose)
            db.session.remove()
        rerun = _run(env, "rotate", "--purpose", purpose, "--batch-size", str(BATCH_SIZE[purpose]))
    finally:
        reader.stopping.set()
        reader.join(timeout=60)
    print(f"{purpose}: {outcomes.count('killed')} killed, {on_old} → {left} on the old key before the rerun, "
          f"{reader.passes} reader passes (mean {sum(reader.seconds) / len(reader.seconds):.2f} s), "
          f"kill rounds mean {sum(kill_seconds) / len(kill_seconds):.2f} s")

    assert not reader.problems, reader.problems[:5]
    assert reader.passes > KILLS
    # Every run was killed at its point, and work remained after the last kill (so at every
    # kill: nothing moves rows back to the old key). Committed batches survived the kills.
    assert outcomes == ["killed"] * KILLS, list(zip(points, outcomes, strict=True))
    assert 0 < left < on_old, (on_old, left)
    if BATCH_SIZE[purpose] == 1 and purpose != "enc":
        # One row per batch and one counted value per row: exactly the committed batches moved
        # to the new key; the writes of a batch killed before its commit were rolled back.
        assert on_old - left == sum(batches for batches, _ in points), (on_old, left, points)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    with app.app_context():
        assert runner.invoke(args=["keys", "verify-rotation", "--purpose", purpose]).exit_code == 0
        assert rotation.rows_on_old_keys(keyring, purpose) == 0
        assert Reader(app, expected).snapshot() == expected
        again = rotation.rotate(keyring, purpose, batch_size=50)
        assert again.changed == 0 and again.complete
        db.session.remove()
    on_disk = crypto.Keyring.load(keyring_path)
    assert on_disk.kids(purpose) == [1, 2] and on_disk.primary_kid(purpose) == 2  # the old key is retained
