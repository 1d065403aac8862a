"""Helpers that more than one test file uses (a test file never imports another)."""
