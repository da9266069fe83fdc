"""Staff login, logout and password change."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import limiter, login_manager
from ..i18n import _
from ..ratelimit import account_key
from . import services
from .forms import LoginForm, PasswordChangeForm

bp = Blueprint("auth", __name__, url_prefix="/admin")


@login_manager.user_loader
def _load(session_id):
    return services.load_session(session_id)


def _failed(response):
    """Only failed logins use up the allowance."""
    return response.status_code != 302


def _safe_next(target):
    """A same-site path to return to after login, or the staff home page."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("admin.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_CLIENT"], methods=["POST"], deduct_when=_failed)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=account_key, methods=["POST"], deduct_when=_failed
)
def login():
    """Log a staff member in with a fresh session."""
    if current_user.is_authenticated:
        return redirect(url_for("admin.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 422 if request.method == "POST" else 200
    staff = services.authenticate(form.username.data, form.password.data)
    if staff is None:
        form.password.errors.append(_("Username or password is wrong."))
        return render_template("auth/login.html", form=form), 401
    target = _safe_next(form.next.data)
    lang = session.get("lang")
    session.clear()  # nothing from before the login survives into the staff session
    if lang:
        session["lang"] = lang
    login_user(services.start_session(staff))
    flash(_("Welcome, %(name)s.", name=staff.username), "info")
    return redirect(target)


@bp.post("/logout")
@login_required
def logout():
    """End the login session everywhere its cookie may have been copied."""
    services.end_session(current_user.get_id())
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    """Change one's own password; other sessions of the account end."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.new_password.data)
        except services.AccountError as error:
            message = {
                "wrong_password": _("The current password is wrong."),
                "too_short": _("Use at least 10 characters."),
                "too_long": _("That password is too long."),
            }[str(error)]
            (form.current_password if str(error) == "wrong_password" else form.new_password).errors.append(message)
        else:
            flash(_("Your password has been changed."), "info")
            return redirect(url_for("admin.index"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form), status
