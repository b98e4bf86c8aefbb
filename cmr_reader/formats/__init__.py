"""Date formats of the site's own, per language (``FORMAT_MODULE_PATH``); Django's serve the rest."""
