"""Functional administration: users, roles and departments. Never signal content."""
