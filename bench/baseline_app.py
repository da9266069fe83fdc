"""The bench-only baseline: a bare Flask app served by the same gunicorn config as the product.

Never imported by the product. ``make bench`` compares every product figure with one of these:

- ``GET /hello``              a bare text response;
- ``GET /page``               a bare ~6 KB Jinja page (a layout, a loop, a form, no database);
- ``POST /insert/sqlite``     reads one form field and inserts one row with Flask-SQLAlchemy (ORM);
- ``POST /insert/postgresql`` the same into PostgreSQL (only when ``BASELINE_POSTGRES_URL`` is set).

SQLite gets the pragmas any tuned app would use (WAL, synchronous=NORMAL, busy_timeout), the same the
product sets, so the insert baseline is not slowed by a rollback journal the product does not use.

    BASELINE_SQLITE_PATH=/tmp/x.db gunicorn -c gunicorn.conf.py --chdir bench baseline_app:app
"""

import os

from flask import Flask, render_template, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.engine import Engine

SQLITE_PATH = os.environ.get("BASELINE_SQLITE_PATH", "baseline.db")
POSTGRES_URL = os.environ.get("BASELINE_POSTGRES_URL", "")

app = Flask(__name__, template_folder=os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates"))
app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{SQLITE_PATH}"
if POSTGRES_URL:
    app.config["SQLALCHEMY_BINDS"] = {"postgresql": POSTGRES_URL}
db = SQLAlchemy(app)


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection, connection_record):
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Entry(db.Model):
    """One inserted row (SQLite)."""

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(100), nullable=False)
    value = db.Column(db.Integer, nullable=False)


class PgEntry(db.Model):
    """One inserted row (PostgreSQL)."""

    __bind_key__ = "postgresql"
    __tablename__ = "baseline_entry"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(100), nullable=False)
    value = db.Column(db.Integer, nullable=False)


SECTIONS = [
    {
        "title": f"Section {number}",
        "items": [f"Question {number}.{index}: which of these is right?" for index in range(5)],
    }
    for number in range(1, 4)
]


@app.get("/hello")
def hello():
    """A bare response."""
    return "Hello, world!"


@app.get("/page")
def page():
    """A bare template page of about 6 KB."""
    return render_template("baseline_page.html", sections=SECTIONS, user="resident")


def _insert(model):
    entry = model(name=request.form.get("name", "")[:100], value=int(request.form.get("value", "0") or 0))
    db.session.add(entry)
    db.session.commit()
    return "stored", 201


@app.post("/insert/sqlite")
def insert_sqlite():
    """Insert one row into SQLite."""
    return _insert(Entry)


@app.post("/insert/postgresql")
def insert_postgresql():
    """Insert one row into PostgreSQL."""
    if not POSTGRES_URL:
        return "no PostgreSQL configured", 404
    return _insert(PgEntry)


with app.app_context():
    # gunicorn preloads the app: create the tables in the master, then drop its connections before forking.
    db.create_all(bind_key=[None, "postgresql"] if POSTGRES_URL else [None])
    for engine in db.engines.values():
        engine.dispose()
