"""Civic Survey: the application factory."""
from pathlib import Path

from flask import Flask

from . import config as settings
from .extensions import babel, csrf, db, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(config=None):
    """Create and configure the application; ``config`` overrides settings (tests use it)."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(settings.load(app.instance_path))
    if config:
        app.config.update(config)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def register_extensions(app):
    """Bind the extension objects and the request hooks they rely on."""
    from . import database, security, templating
    from .i18n import N_, _, select_locale

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("Please log in to see this page.")
    login_manager.localize_callback = _
    login_manager.login_message_category = "info"
    limiter.init_app(app)
    database.init_app(app)
    security.init_app(app)
    templating.init_app(app)


def register_blueprints(app):
    """Attach one blueprint per area."""
    from .admin.views import bp as admin_bp
    from .auth.views import bp as auth_bp
    from .public.views import bp as public_bp
    from .questionnaire.views import bp as questionnaire_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(questionnaire_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)


def register_errorhandlers(app):
    """Render every HTTP error with one localised template."""
    from .errors import init_app

    init_app(app)


def register_commands(app):
    """Add the ``flask --app app …`` commands."""
    from .cli import init_app

    init_app(app)
