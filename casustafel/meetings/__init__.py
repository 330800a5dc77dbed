"""Casustafel meetings: agenda, privacy-limited member view, notes, decisions, minutes."""
