"""The ``tremplin`` command line: the shell above the services (one module per command group)."""
