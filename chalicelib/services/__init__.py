"""Use cases. No HTTP or event types here; collaborators are passed in."""
