"""Administrators: councils. (Being written.)"""

from marks.admin import bp  # noqa: F401
