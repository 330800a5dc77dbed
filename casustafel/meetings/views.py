"""Views of the meetings feature."""

from casustafel.meetings import bp  # noqa: F401
