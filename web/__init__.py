"""Tremplin's pages: server-rendered French pages (Jinja2 + htmx) for coaches, the Maison de
l'emploi, employers and administrators, on the same services as the API and the commands."""
