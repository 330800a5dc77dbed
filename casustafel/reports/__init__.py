"""Management information (cijfers): aggregates only, never personal data or free text."""
