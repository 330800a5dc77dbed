"""One way to page a list: `?pagina=` on an ordered select, with Flask-SQLAlchemy's pagination."""

from flask_sqlalchemy.pagination import Pagination

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
