"""Civic Survey: the application factory."""

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config as settings
from .extensions import babel, csrf, db, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


class SurveyFlask(Flask):
    """Flask, keeping ``ensure_sync``'s answer per function.

    Flask asks it for the view and every request hook on every request (about a dozen ``inspect`` calls
    per page, each unwrapping the function again); the answer for a given function never changes.
    """

    _SYNC_KEPT = 1024  # functions made per request (``after_this_request`` closures) must not pile up

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sync_functions = {}

    def ensure_sync(self, func):
        kept = self._sync_functions
        try:
            return kept[func]
        except KeyError:
            pass
        except TypeError:  # an unhashable callable
            return super().ensure_sync(func)
        if len(kept) >= self._SYNC_KEPT:
            kept.clear()
        sync = kept[func] = super().ensure_sync(func)
        return sync


def create_app(config=None):
    """Create and configure the application; ``config`` overrides settings (tests use it)."""
    app = SurveyFlask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(settings.load(app.instance_path))
    if config:
        app.config.update(config)
    if app.config.get("TRUSTED_PROXIES"):
        # Behind a reverse proxy every request comes from the proxy; the client is in X-Forwarded-For.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"])
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def register_extensions(app):
    """Bind the extension objects and the request hooks they rely on."""
    from . import assisted, database, ratelimit, security, signing, templating
    from .i18n import N_, _, select_locale

    app.session_interface = signing.SessionInterface()

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    # Registered before CSRF protection, which reads the form first: staff pages (page bodies,
    # imports, images) may send more than a resident's answers; anything else keeps the small limit.
    app.before_request(security.staff_body_limits)
    csrf.init_app(app)
    signing.check_unsafe_methods_only(app)
    app.jinja_env.globals["csrf_token"] = signing.csrf_token
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("Please log in to see this page.")
    login_manager.localize_callback = _
    login_manager.login_message_category = "info"
    limiter.init_app(app)
    ratelimit.drop_idle_auto_check(app, limiter)
    ratelimit.skip_untouched_hooks(app, limiter)
    database.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    assisted.init_app(app)


def register_blueprints(app):
    """Attach one blueprint per area."""
    from .admin.views import bp as admin_bp
    from .api.token_views import bp as tokens_bp
    from .api.views import bp as api_bp
    from .assisted.views import bp as assisted_bp
    from .auth.views import bp as auth_bp
    from .bank.views import bp as bank_bp
    from .communities_admin.views import bp as communities_admin_bp
    from .dashboard.views import bp as dashboard_bp
    from .exports.views import bp as exports_bp
    from .pages_admin.views import bp as pages_admin_bp
    from .posters.views import bp as posters_bp
    from .public.views import bp as public_bp
    from .questionnaire.views import bp as questionnaire_bp
    from .study.views import bp as study_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(questionnaire_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(pages_admin_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(tokens_bp)
    app.register_blueprint(exports_bp)
    app.register_blueprint(posters_bp)
    app.register_blueprint(bank_bp)
    app.register_blueprint(study_bp)
    app.register_blueprint(communities_admin_bp)
    app.register_blueprint(assisted_bp)


def register_errorhandlers(app):
    """Render every HTTP error with one localised template."""
    from .errors import init_app

    init_app(app)


def register_commands(app):
    """Add the ``flask --app app …`` commands."""
    from .cli import init_app

    init_app(app)
