"""The Bibob track of a signal: one page per signal where the coordinator records the Bibob
investigation and the advice of the Landelijk Bureau Bibob (art. 28 Wet Bibob: see
casustafel/models/bibob.py for who may see it)."""
