"""`opsbook serve`: the web app over the store (pages, "run now", "approve"). See docs/web.md."""
