"""Written-out SQL (survey/sqltext.py): texts built once per database, values stored as SQLAlchemy stores them."""

from datetime import date, datetime

import pytest
from sqlalchemy import Date, DateTime
from sqlalchemy.dialects import postgresql, sqlite

from survey import sqltext

TIMES = [
    datetime(2026, 11, 27, 1, 2, 3),
    datetime(2026, 11, 27, 23, 59, 59, 999999),
    datetime(2024, 2, 29, 0, 0, 0, 45),
]
DATES = [date(2026, 1, 2), date(2024, 2, 29)]


@pytest.mark.parametrize("value", TIMES + DATES)
def test_a_driver_level_statement_stores_on_sqlite_what_sqlalchemy_would(value):
    dialect = sqlite.dialect()
    kind = DateTime() if isinstance(value, datetime) else Date()
    assert sqltext.stored(dialect, value) == kind.dialect_impl(dialect).bind_processor(dialect)(value)


def test_other_values_and_postgresql_get_values_as_they_are():
    assert sqltext.stored(postgresql.dialect(), TIMES[0]) is TIMES[0]
    assert sqltext.stored(sqlite.dialect(), 7) == 7 and sqltext.stored(sqlite.dialect(), "text") == "text"


def test_a_text_is_built_once_per_database_unless_not_kept():
    built = []

    def build(dialect):
        built.append(dialect.name)
        return f"SELECT 1 -- {dialect.name}"

    key = ("test", object())  # a key no other caller uses
    for _ in range(3):
        assert sqltext.text_for(sqlite.dialect(), key, build) == "SELECT 1 -- sqlite"
    assert sqltext.text_for(postgresql.dialect(), key, build) == "SELECT 1 -- postgresql"
    assert built == ["sqlite", "postgresql"]
    other = ("test", object())
    for _ in range(2):
        sqltext.text_for(sqlite.dialect(), other, build, keep=False)
    assert built == ["sqlite", "postgresql", "sqlite", "sqlite"]


def _engine_with_table(tmp_path):
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{tmp_path / 'run.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE entry (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL)")
    return engine


def test_a_statement_run_past_sqlalchemy_is_told_to_the_write_watcher_at_commit(tmp_path):
    from survey import writes

    told = []
    listener = writes.on_transaction_end(told.append)
    try:
        engine = _engine_with_table(tmp_path)
        told.clear()
        with engine.connect() as connection:
            cursor = sqltext.run(connection, "INSERT INTO entry (name) VALUES (:name)", {"name": "a"})
            assert cursor.lastrowid == 1
            assert sqltext.run(connection, "SELECT count(*) FROM entry", {}).fetchone() == (1,)
            assert told == []  # told when the transaction ends, not before
            connection.commit()
        assert told == [{("entry", True)}]
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT name FROM entry").scalars().all() == ["a"]
    finally:
        writes._listeners.remove(listener)


def test_a_driver_error_is_raised_as_sqlalchemys_and_nothing_is_half_written(tmp_path):
    from sqlalchemy.exc import IntegrityError

    engine = _engine_with_table(tmp_path)
    with engine.connect() as connection:
        sqltext.run(connection, "INSERT INTO entry (name) VALUES (:name)", {"name": "a"})
        with pytest.raises(IntegrityError):
            sqltext.run(connection, "INSERT INTO entry (name) VALUES (:name)", {"name": "a"})
        connection.rollback()
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM entry").scalar() == 0
