"""The meldpunt: the intake form, Mijn meldingen, and the coordinator's list of signals."""
