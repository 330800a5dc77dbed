"""Logging in and out, the second factor and the user's own account."""
