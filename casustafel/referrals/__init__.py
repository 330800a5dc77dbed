"""Referrals (verstrekkingen) to partners, the register of disclosures, police information."""
