"""Printable QR posters: one A4 page per community, and the QR code itself as PNG and SVG."""
