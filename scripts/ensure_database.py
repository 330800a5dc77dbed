"""Create the PostgreSQL database named in the URL when it does not exist yet."""

import sys

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def main(url: str) -> None:
    target = make_url(url)
    if not target.drivername.startswith("postgresql"):
        return
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


if __name__ == "__main__":
    main(sys.argv[1])
