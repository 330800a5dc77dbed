"""Retention and destruction (README “Retention and destruction”): what is due, runs, destruction records, the
verklaring van vernietiging (privacy officer, /bewaren) and the terms (admin, /beheer/bewaartermijnen)."""
