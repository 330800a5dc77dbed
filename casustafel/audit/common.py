"""What the privacy officer's log pages share: their purpose."""

PURPOSE = "toezicht"
