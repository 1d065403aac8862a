"""Assessing applications: assignments, scores, moderation and the decision."""
