"""Reading a hostile e-mail against a plain one of the same size: anyone can mail the meldpunt,
and each mail is read when it is fetched and again whenever a coordinator opens it.

Usage:
    .venv/bin/python bench/hostile_mail.py

For each hostile shape (deep HTML, tens of thousands of parts, a megabyte subject, a Content-Type
of thousands of parameters, megabytes of HTML) this prints the time `parse_mail` takes and what
it answers, beside the baseline: a plain text mail of the same size. Before the limits of issue 16's
review these took 22 s to minutes each (see its closing note); the goal is the same order as the
baseline.
"""

import sys
import time
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from casustafel.signals.mail_intake import MailError, parse_mail


def _mail(subject: str, body: str, subtype: str = "plain", extra: str = "") -> bytes:
    message = EmailMessage()
    message["From"] = "Zoë Çelik-Ñúñez <zoe@voorbeeld.test>"
    message["Subject"] = subject
    message.set_content(body, subtype=subtype)
    raw = bytes(message)
    if extra:
        raw = raw.replace(b"Content-Type: text/plain; charset=\"utf-8\"",
                          b"Content-Type: text/plain; charset=\"utf-8\"; " + extra.encode(), 1)
    return raw


def deep_html() -> bytes:
    depth = 30_000
    return _mail("Diep", "<div><p>" * depth + "Zoë zag de bestelbus." + "</p></div>" * depth, "html")


def many_parts() -> bytes:
    parts = "".join("--grens\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nZoë\r\n" for _ in range(100_000))
    return ("From: zoe@voorbeeld.test\r\nSubject: Veel delen\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=grens\r\n\r\n" + parts + "--grens--\r\n").encode()


def long_subject() -> bytes:
    subject = "\r\n ".join(["=?utf-8?q?Zo=C3=AB_=C3=87elik-=C3=91=C3=BA=C3=B1ez?="] * 25_000)
    return (f"From: zoe@voorbeeld.test\r\nSubject: {subject}\r\n\r\nDe bestelbus staat er weer.\r\n").encode()


def many_parameters() -> bytes:
    parameters = "; ".join(f'x{n}="=?utf-8?q?Zo=C3=AB?="' for n in range(20_000))
    return (f"From: zoe@voorbeeld.test\r\nSubject: Zoë\r\nContent-Type: text/plain; charset=utf-8; {parameters}"
            "\r\n\r\nDe bestelbus staat er weer.\r\n").encode()


def big_html() -> bytes:
    return _mail("Nieuwsbrief", "<p>Zoë zag de bestelbus.</p>" + "<p>x</p>" * 600_000, "html")


def plain_of(size: int) -> bytes:
    line = "Zoë Çelik-Ñúñez zag de bestelbus weer voor het pand aan de Dorpsstraat.\n"
    return _mail("Gewone melding", line * max(1, size // len(line.encode())))


def _timed(raw: bytes) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        parsed = parse_mail(raw, "bench.eml")
        outcome = f"gelezen, {len(parsed.body_text):,} tekens" + (" (afgekapt)" if parsed.body_cut else "")
    except MailError as error:
        outcome = "geweigerd: " + error.message_nl[:60]
    return time.perf_counter() - started, outcome


def main() -> None:
    cases = [("diepe HTML (30.000 lagen)", deep_html), ("100.000 delen", many_parts),
             ("onderwerp van 1 MB", long_subject), ("Content-Type met 20.000 parameters", many_parameters),
             ("HTML van 5 MB", big_html)]
    print(f"{'e-mail':38} {'grootte':>9} {'tijd':>8} {'gewone e-mail even groot':>25}  uitkomst")
    for name, make in cases:
        raw = make()
        seconds, outcome = _timed(raw)
        baseline, _ = _timed(plain_of(len(raw)))
        print(f"{name:38} {len(raw) / 1e6:7.1f} MB {seconds:7.2f} s {baseline:23.2f} s  {outcome}")


if __name__ == "__main__":
    main()
