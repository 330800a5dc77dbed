"""Views of the privacy feature."""

from casustafel.privacy import bp  # noqa: F401
