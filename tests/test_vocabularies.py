"""Status vocabularies are enums with Dutch labels (casustafel.models.base.Vocabulary), and
templates compare with their members, never with a typed string: a typo in a template would
otherwise compare false without a sound."""

import re
from pathlib import Path

import pytest

from casustafel.models import (
    ACTION_STATUSES,
    MEETING_STATUSES,
    REFERRAL_STATUSES,
    STATUSES,
    SUBJECT_REQUEST_STATUSES,
    VOCABULARIES,
    SignalStatus,
)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
MEMBER = re.compile(r"\b([A-Z][A-Za-z]*Status)\.([A-Za-z_]+)\b")


def _templates():
    return sorted(TEMPLATES.rglob("*.html"))


def test_every_vocabulary_member_a_template_names_exists():
    by_name = {vocabulary.__name__: vocabulary for vocabulary in VOCABULARIES}
    named = [(path.name, m.group(1), m.group(2)) for path in _templates() for m in MEMBER.finditer(path.read_text())]
    assert len(named) >= 20  # the templates really use them
    missing = [(file, cls, member) for file, cls, member in named
               if cls not in by_name or (member != "label" and member not in by_name[cls].__members__)]
    assert missing == []


def test_no_template_compares_a_status_with_a_typed_string():
    literal = re.compile(r"\.status\s*(==|!=|in)\s*[\"'(]")
    found = [f"{path.relative_to(TEMPLATES)}:{n}" for path in _templates()
             for n, line in enumerate(path.read_text().splitlines(), 1) if literal.search(line)]
    assert found == []


@pytest.mark.parametrize(("vocabulary", "labels"), [
    ("SignalStatus", STATUSES), ("MeetingStatus", MEETING_STATUSES), ("ActionStatus", ACTION_STATUSES),
    ("ReferralStatus", REFERRAL_STATUSES), ("SubjectRequestStatus", SUBJECT_REQUEST_STATUSES),
])
def test_the_label_lists_are_the_vocabularies_in_their_order(vocabulary, labels):
    members = list({v.__name__: v for v in VOCABULARIES}[vocabulary])
    assert list(labels) == [m.value for m in members] and list(labels.values()) == [m.label for m in members]


def test_a_member_is_the_stored_code():
    assert SignalStatus.AFGESLOTEN == "afgesloten" and hash(SignalStatus.AFGESLOTEN) == hash("afgesloten")
    assert SignalStatus("weging") is SignalStatus.WEGING and SignalStatus.WEGING.label == "Weging"
    assert f"{SignalStatus.IN_AANPAK}" == "in_aanpak"  # what a query or a URL gets


def test_templates_see_every_vocabulary(app):
    for vocabulary in VOCABULARIES:
        assert app.jinja_env.globals[vocabulary.__name__] is vocabulary
    rendered = app.jinja_env.from_string(
        "{{ status == SignalStatus.AANVULLING_GEVRAAGD }} {{ SignalStatus.AANVULLING_GEVRAAGD.label }}"
    ).render(status="aanvulling_gevraagd")
    assert rendered == "True Aanvulling gevraagd"
