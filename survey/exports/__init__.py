"""Exports: dashboard figures as CSV and XLSX, and (administrators only) the anonymised raw answers."""
