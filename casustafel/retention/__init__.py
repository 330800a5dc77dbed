"""Retention and destruction (DOMAIN.md §11): what is due, runs, destruction records, the
verklaring van vernietiging (privacy officer, /bewaren) and the terms (admin, /beheer/bewaartermijnen)."""
