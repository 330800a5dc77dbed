"""Actions (interventies): Mijn acties for members, the coordinator's overview, reminders."""
