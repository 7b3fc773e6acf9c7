"""The pages. Each module holds one part of the journey; ``home`` and ``healthz`` stay
importable from here for cocommissioning.urls."""

from .pages import healthz, home

__all__ = ["healthz", "home"]
