"""Administrators: editions. (Being written.)"""

from marks.admin import bp  # noqa: F401
