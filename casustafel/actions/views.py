"""Views of the actions feature."""

from casustafel.actions import bp  # noqa: F401
