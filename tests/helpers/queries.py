"""Count what a piece of work asks the database: the SQL statements it sends."""

from contextlib import contextmanager

from sqlalchemy import event

from casustafel.extensions import db


@contextmanager
def captured_statements():
    """Collect the SQL of every statement sent inside the block, in order."""
    statements: list[str] = []

    def catch(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", catch)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", catch)


def statements_of(client, url) -> list[str]:
    """The statements one GET of `url` sends (it must answer 200)."""
    with captured_statements() as statements:
        assert client.get(url).status_code == 200
    return statements
