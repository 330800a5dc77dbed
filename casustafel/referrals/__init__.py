"""Referrals (verstrekkingen) to partners, the register of disclosures, restricted received information."""
