"""The privacy officer's work: privacy checks 1, 2A and 2B."""
