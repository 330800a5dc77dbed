"""Check uploads before anything is stored: size per file and type by extension and content."""

from dataclasses import dataclass

from flask import current_app

from casustafel.storage import detect_type

HEAD_BYTES = 4096


@dataclass
class CheckedUpload:
    filename: str
    content_type: str
    size: int
    stream: object


def _measure(stream) -> tuple[bytes, int]:
    size = stream.seek(0, 2)
    stream.seek(0)
    head = stream.read(HEAD_BYTES)
    stream.seek(0)
    return head, size


def check_uploads(files) -> tuple[list[CheckedUpload], list[str]]:
    """Return the acceptable uploads and a Dutch message for each refused one."""
    limit = current_app.config["MAX_ATTACHMENT_SIZE"]
    accepted, problems = [], []
    for upload in files:
        if not upload or not upload.filename:
            continue
        name = upload.filename[-200:]
        head, size = _measure(upload.stream)
        content_type = detect_type(name, head)
        if size > limit:
            problems.append(
                f"‘{name}’ is groter dan {limit // (1024 * 1024)} MB. Verklein het bestand of stuur het in delen."
            )
        elif size == 0:
            problems.append(f"‘{name}’ is leeg.")
        elif content_type is None:
            problems.append(
                f"‘{name}’ kan niet worden toegevoegd. Toegestaan zijn pdf, afbeeldingen (png, jpg), "
                "Word, Excel, tekst en e-mail (eml, msg)."
            )
        else:
            accepted.append(CheckedUpload(name, content_type, size, upload.stream))
    return accepted, problems
