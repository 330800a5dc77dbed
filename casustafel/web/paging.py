"""Two ways to page a list on `?pagina=`: with Flask-SQLAlchemy's pagination (`paginate`, which
counts every matching row for "pagina x van y") for the small lists, and `window` for a list that
grows with the years (the inbox): one row more than the page is fetched to know whether a next
page exists, and only the first page counts, up to a bound, so no page costs a full count."""

from dataclasses import dataclass

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, select

from casustafel.extensions import db
from casustafel.forms import INT64_MAX, int_arg


def paginate(stmt, per_page: int) -> Pagination:
    """The page of `stmt` that `?pagina=` asks for; a page past the end shows the last one and
    a malformed number the first (the offset stays within what a database accepts)."""
    page = int_arg("pagina", 1, maximum=INT64_MAX // per_page)
    result = db.paginate(stmt, page=page, per_page=per_page, max_per_page=per_page, error_out=False)
    if page > 1 and not result.items and result.pages:
        result = db.paginate(stmt, page=result.pages, per_page=per_page, max_per_page=per_page, error_out=False)
    return result


@dataclass
class Window:
    """One page of a list without its page count: `total` is known on the first page only (None
    elsewhere) and `more` says it is a lower bound ("meer dan 500")."""

    items: list
    page: int
    has_next: bool
    total: int | None = None
    more: bool = False

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def window(stmt, per_page: int, *, count_from=None, count_limit: int = 500) -> Window:
    """The page of the ordered select `stmt` that `?pagina=` asks for (a malformed number: the
    first; past the end: an empty page). On the first page with a next page, the rows of
    `count_from` (the unordered, unloaded select of the same rows) are counted up to `count_limit`."""
    page = int_arg("pagina", 1, maximum=INT64_MAX // per_page)
    rows = db.session.scalars(stmt.offset((page - 1) * per_page).limit(per_page + 1)).unique().all()
    result = Window(items=rows[:per_page], page=page, has_next=len(rows) > per_page)
    if page == 1 and not result.has_next:
        result.total = len(result.items)
    elif page == 1 and count_from is not None:
        bounded = count_from.order_by(None).limit(count_limit + 1).subquery()
        total = db.session.scalar(select(func.count()).select_from(bounded))
        result.total, result.more = min(total, count_limit), total > count_limit
    return result
