"""One module per page; each has `register(state)` that declares its routes."""
