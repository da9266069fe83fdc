"""Administrators manage streets and communities: edit them one by one or import a whole sheet."""
