"""Serving: the FastAPI service for coaches, Maisons de l'emploi and employers (see issue 5)."""
