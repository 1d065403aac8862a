"""A deployment served as the guide says (docs/deploy.md), shared by test_deploy_served.py and
test_deploy_servers.py: gunicorn started by the web unit's own command line, behind nginx with
one of the guide's site files (its ports, certificate and paths changed, nothing else), and the
requests a browser sends through it."""

# ruff: noqa: S603, S607 (the commands are the guide's own files and Debian's tools, by name)

from __future__ import annotations

import http.client
import re
import shlex
import shutil
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.helpers.servers import free_port
from tests.integration.deploy_site import DEPLOY, SBIN_PATH, Site, read_env_file


def wait_for(check, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{what} did not come up in {seconds} s")


@dataclass
class Served:
    site: Site
    app_port: int
    http_port: int
    https_port: int
    cafile: Path
    gunicorn_log: Path
    nginx_log: Path
    gunicorn: subprocess.Popen

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        source: str = "127.0.0.1",
        tls: bool = True,
    ) -> http.client.HTTPResponse:
        """One request through nginx, on a connection of its own (so any worker may take it)."""
        if tls:
            context = ssl.create_default_context(cafile=str(self.cafile))
            connection = http.client.HTTPSConnection(
                "127.0.0.1",
                self.https_port,
                context=context,
                source_address=(source, 0),
                timeout=60,
            )
        else:
            connection = http.client.HTTPConnection(
                "127.0.0.1", self.http_port, source_address=(source, 0), timeout=60
            )
        connection.request(
            method, path, body=body, headers={"Host": "mark.example.org", **(headers or {})}
        )
        response = connection.getresponse()
        response.body = response.read()
        connection.close()
        return response


def nginx_config(site: Site, name: str, file: str = "nginx-marks.conf", **ports: int) -> Path:
    """One of the guide's site files, with this machine's ports (`http`, `https`, `app`, and
    `app_servers`' for the load balancer), certificate and paths: nothing else changed."""
    tmp = site.tmp / f"{name}-nginx"
    (tmp / "temp").mkdir(parents=True)
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=mark.example.org",
            "-addext",
            "subjectAltName=DNS:mark.example.org,IP:127.0.0.1",
            "-keyout",
            str(tmp / "privkey.pem"),
            "-out",
            str(tmp / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
    )
    text = (DEPLOY / file).read_text()
    replacements = [
        ("listen 80;", f"listen 127.0.0.1:{ports.get('http')};"),
        ("listen [::]:80;", ""),
    ]
    if "/srv/marks/" in text:  # the static files, from the checkout
        replacements.append(("/srv/marks/", f"{site.home.root}/"))
    if "ssl_certificate" in text:
        replacements += [
            ("/etc/ssl/certs/ssl-cert-snakeoil.pem", f"{tmp}/fullchain.pem"),
            ("/etc/ssl/private/ssl-cert-snakeoil.key", f"{tmp}/privkey.pem"),
            ("/var/www/letsencrypt", f"{tmp}/letsencrypt"),
            ("listen 443 ssl http2;", f"listen 127.0.0.1:{ports['https']} ssl http2;"),
            ("listen [::]:443 ssl http2;", ""),
        ]
    if "allow 10.0.0.10;" in text:  # the load balancer's address: here, this machine's
        replacements.append(("allow 10.0.0.10;", "allow 127.0.0.1;"))
    if "marks.access.log" in text:
        replacements.append(("/var/log/nginx/marks.access.log", f"{tmp}/access.log"))
    if "app" in ports:
        replacements.append(
            ("proxy_pass http://127.0.0.1:8000;", f"proxy_pass http://127.0.0.1:{ports['app']};")
        )
    for number, port in enumerate(ports.get("app_servers", ()), start=11):
        replacements.append((f"server 10.0.0.{number}:80 ", f"server 127.0.0.1:{port} "))
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    (tmp / "site.conf").write_text(text)
    temp = tmp / "temp"
    main = f"""
daemon off;
master_process on;
worker_processes 1;
user root root;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{}}
http {{
    # As Debian's /etc/nginx/nginx.conf.
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    gzip on;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {tmp}/site.conf;
}}
"""
    (tmp / "nginx.conf").write_text(main)
    return tmp


def start_nginx(site: Site, tmp: Path) -> None:
    """nginx -t, then nginx, with the configuration nginx_config wrote."""
    nginx = shutil.which("nginx", path=SBIN_PATH)
    if nginx is None:
        pytest.skip("nginx is not installed (make system-packages installs it)")
    check = subprocess.run(
        [nginx, "-t", "-c", str(tmp / "nginx.conf")], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    site.processes.append(
        subprocess.Popen(
            [nginx, "-c", str(tmp / "nginx.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )


def start_gunicorn(
    site: Site, name: str, port: int, workers: int | None, env_file: Path | None = None
) -> tuple[subprocess.Popen, Path]:
    """gunicorn as marks-web.service starts it (its ExecStart, WorkingDirectory and env file),
    on `port`, with its configured workers or `workers`; and its log."""
    env_file = env_file or site.home.env_file
    unit = site.home.unit("marks-web.service")["Service"]
    arguments = f"--bind 127.0.0.1:{port}" + (f" --workers {workers}" if workers else "")
    env = {
        **site.env,
        "MARKS_ENV_FILE": str(env_file),
        **read_env_file(env_file),
        "GUNICORN_CMD_ARGS": arguments,
    }
    log = site.tmp / f"{name}-gunicorn.log"
    with log.open("w") as output:
        gunicorn = subprocess.Popen(
            shlex.split(unit["ExecStart"]),
            cwd=unit["WorkingDirectory"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        site.processes.append(gunicorn)
    wait_for(lambda: socket.create_connection(("127.0.0.1", port)).close() is None, "app")
    return gunicorn, log


def serve(site, workers: int | None, name: str) -> Served:
    """gunicorn as marks-web.service starts it, behind nginx with the guide's site file."""
    if shutil.which("nginx", path=SBIN_PATH) is None:
        pytest.skip("nginx is not installed (make system-packages installs it)")
    app_port, http_port, https_port = free_port(), free_port(), free_port()
    gunicorn, gunicorn_log = start_gunicorn(site, name, app_port, workers)
    tmp = nginx_config(site, name, app=app_port, http=http_port, https=https_port)
    start_nginx(site, tmp)
    served = Served(
        site,
        app_port,
        http_port,
        https_port,
        tmp / "fullchain.pem",
        gunicorn_log,
        tmp / "access.log",
        gunicorn,
    )
    wait_for(lambda: served.request("GET", "/healthz").status == 200, "nginx and gunicorn")
    return served


def cookie_and_token(served: Served, source: str = "127.0.0.1", **kwargs) -> tuple[str, str]:
    """A session cookie and its CSRF token, from the sign-in page, as a browser has them."""
    page = served.request("GET", "/sign-in", source=source, **kwargs)
    cookie = page.getheader("Set-Cookie").split(";")[0]
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.body).group(1)
    return cookie, token.decode()


def post_form(served: Served, path: str, fields: dict, cookie: str, **kwargs):
    headers = {
        "Cookie": cookie,
        "Content-Type": "application/x-www-form-urlencoded",
        "Referer": f"https://mark.example.org{path}",  # Flask-WTF checks it over HTTPS
        **kwargs.pop("headers", {}),
    }
    return served.request("POST", path, body=urlencode(fields).encode(), headers=headers, **kwargs)
