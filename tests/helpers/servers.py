"""Servers of the tests' own on this machine: a free port, and an SMTP inbox for aiosmtpd."""

from __future__ import annotations

import socket


class Inbox:
    """What an aiosmtpd server accepted: its handler."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
