"""Break-glass (noodtoegang): time-limited content access to one signal with a stated reason,
shown as a warning on every page, logged and flagged for the privacy officer (README “Roles”)."""
