"""Password hashing with argon2id (argon2-cffi), parameters from the configuration."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

# A fixed hash to verify against when the username is unknown, so timing does not reveal accounts.
_DUMMY = None


def _hasher():
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"],
        memory_cost=config["ARGON2_MEMORY_COST"],
        parallelism=config["ARGON2_PARALLELISM"],
    )


def hash_password(password):
    """Return an argon2id hash of ``password``."""
    return _hasher().hash(password)


def verify_password(password_hash, password):
    """True when ``password`` matches; ``password_hash`` None still costs one verification."""
    global _DUMMY
    hasher = _hasher()
    if password_hash is None:
        _DUMMY = _DUMMY or hasher.hash("not a real password")
        password_hash = _DUMMY
        password = password + "\0"
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash):
    """True when the stored hash used weaker parameters than configured."""
    return _hasher().check_needs_rehash(password_hash)
