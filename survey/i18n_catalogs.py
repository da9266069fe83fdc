"""Catalog housekeeping: the English catalog repeats its English source strings."""

from babel.messages.pofile import read_po, write_po


def fill_source_locale(path):
    """Set every empty msgstr of an English catalog to its msgid, so the catalog is complete."""
    with open(path, "rb") as handle:
        catalog = read_po(handle, locale="en")
    for message in catalog:
        if not message.id:
            continue
        if message.pluralizable:
            if not any(message.string):
                message.string = tuple(message.id)
        elif not message.string:
            message.string = message.id
    with open(path, "wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False)
