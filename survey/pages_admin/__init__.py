"""The publicity-page editor: pages in two languages, revisions, preview and images (admin and editor roles)."""
