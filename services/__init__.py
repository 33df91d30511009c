"""Application services: one module per use case, below both shells (API and command line).

A service takes a :class:`~services.context.ServiceContext` (settings, database, served engine)
and an actor (a signed-in person or a system actor) and does the whole request: tenancy, the
served ranker, the audit record, the history. It raises :mod:`tremplin.errors` only; the API
maps them to HTTP and the command line to exit codes, each in one place.
"""
