"""The `kalshi-edge` command: thin wrappers over the library packages."""
