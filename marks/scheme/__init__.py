"""The scheme itself: its editions of the criteria (loaded, drafted, compared) and the scoring
rules."""
