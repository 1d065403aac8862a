"""Applying for the Mark: a council's applications and their evidence, and belonging to a
council."""
