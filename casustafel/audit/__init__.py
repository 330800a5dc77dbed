"""The access log (logboek): recording, the hash chain and the privacy officer's view."""
