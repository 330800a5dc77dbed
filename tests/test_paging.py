"""The pagers (casustafel/web/paging.py): every paged list asks ?pagina= the same way;
`window` (the inbox) never counts past its first page."""

import pytest
from sqlalchemy import delete, select

from casustafel.extensions import db
from casustafel.models import Department
from casustafel.web.paging import paginate, window

NAMES = [f"Afdeling {n:02d} – Zuidoost" for n in range(1, 8)]  # 7 rows: pages of 3, 3, 1


@pytest.fixture
def departments(app):
    db.session.execute(delete(Department))
    db.session.add_all(Department(name=name) for name in NAMES)
    db.session.commit()
    return select(Department.name).where(Department.name.in_(NAMES)).order_by(Department.name)


@pytest.mark.parametrize(("query", "page", "names"), [
    ("", 1, NAMES[:3]),
    ("?pagina=2", 2, NAMES[3:6]),
    ("?pagina=3", 3, NAMES[6:]),
    ("?pagina=4", 3, NAMES[6:]),  # past the end: the last page
    ("?pagina=3074457345618258602", 3, NAMES[6:]),  # the largest page whose offset a database holds
    ("?pagina=99999999999999999999999", 1, NAMES[:3]),  # beyond it: the first, never a database error
    ("?pagina=0", 1, NAMES[:3]),
    ("?pagina=-2", 1, NAMES[:3]),
    ("?pagina=twee", 1, NAMES[:3]),
    ("?pagina=²", 1, NAMES[:3]),
])
def test_a_page_of_the_list(app, departments, query, page, names):
    with app.test_request_context(f"/{query}"):
        result = paginate(departments, 3)
    assert (result.page, result.pages, result.total, list(result.items)) == (page, 3, 7, names)


def test_an_empty_list_is_one_empty_page(app, departments):
    with app.test_request_context("/?pagina=5"):
        result = paginate(departments.where(Department.name == "geen"), 3)
    assert (result.page, result.total, list(result.items), result.has_next) == (5, 0, [], False)


@pytest.mark.parametrize(("query", "page", "names", "has_next", "total"), [
    ("", 1, NAMES[:3], True, 7),  # only the first page counts
    ("?pagina=2", 2, NAMES[3:6], True, None),
    ("?pagina=3", 3, NAMES[6:], False, None),
    ("?pagina=4", 4, [], False, None),  # past the end: empty, nothing counted to find the last page
    ("?pagina=99999999999999999999999", 1, NAMES[:3], True, 7),
    ("?pagina=twee", 1, NAMES[:3], True, 7),
])
def test_a_window_of_the_list(app, departments, query, page, names, has_next, total):
    with app.test_request_context(f"/{query}"):
        result = window(departments, 3, count_from=departments)
    assert (result.page, list(result.items), result.has_next, result.total, result.more) == (
        page, names, has_next, total, False)
    assert result.has_prev is (page > 1)


def test_a_window_counts_up_to_its_bound(app, departments):
    with app.test_request_context("/"):
        bounded = window(departments, 3, count_from=departments, count_limit=5)
        short = window(departments.where(Department.name == NAMES[0]), 3)
    assert (bounded.total, bounded.more) == (5, True)  # "meer dan 5"
    assert (list(short.items), short.total, short.has_next) == ([NAMES[0]], 1, False)  # no count query needed
