"""The HTTP API (FastAPI) for coaches, Maisons de l'emploi, employers and administrators.

Routes are shells over :mod:`services`: parse, call one service function, present. What
every request shares lives here once: authentication and roles (:mod:`serving.deps`), the
search path with its rate limit, compute slots and time limit (:mod:`serving.searches`), the
mapping of domain errors to HTTP statuses (:mod:`serving.errors`) and the metrics.
"""
