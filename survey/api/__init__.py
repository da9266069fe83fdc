"""The statistics API (``/api/v1``), its bearer tokens and the staff page that lists them."""
