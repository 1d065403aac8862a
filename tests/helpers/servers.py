"""Servers of the tests' own on this machine: a free port, an SMTP inbox for aiosmtpd, and a
redis-server that a test can stop and start again."""

# ruff: noqa: S603 (redis-server, by its full path)

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import redis


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


def redis_url(port: int, db: int, password: str | None = None) -> str:
    """The address of a Redis database as the app's settings name it: a password, if any,
    URL-encoded as the guide says (`%24` for `$`)."""
    userinfo = f":{quote(password, safe='')}@" if password is not None else ""
    return f"redis://{userinfo}127.0.0.1:{port}/{db}"


class RedisServer:
    """A redis-server of the test's own, on a free port, that keeps nothing on disk (as the
    suite's shared one on 6379 is not the test's to empty), with a password if given."""

    def __init__(self, directory: Path, password: str | None = None) -> None:
        if shutil.which("redis-server") is None:
            pytest.skip("redis-server is not installed")
        self.dir, self.port, self.password = directory, free_port(), password
        self.process: subprocess.Popen | None = None

    def url(self, db: int, password: str | None = None) -> str:
        """A database's address, with this server's password or the one given."""
        return redis_url(self.port, db, self.password if password is None else password)

    def client(self, db: int) -> redis.Redis:
        return redis.Redis(port=self.port, db=db, password=self.password)

    def start(self) -> RedisServer:
        settings = ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir)]
        settings += ["--save", "", "--appendonly", "no"]
        if self.password is not None:
            settings += ["--requirepass", self.password]
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), *settings], stdout=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
