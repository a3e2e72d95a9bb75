"""What stays on this computer: profiles, the keyring wrapper, the history, atomic file writes."""
