"""gunicorn's settings for the Social Media Friendly Mark (docs/deploy.md). The app's own
settings come from /etc/marks/marks.env; GUNICORN_CMD_ARGS can override these."""

import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path

wsgi_app = "app:app"
# nginx, on this machine, is the only client.
bind = "127.0.0.1:8000"
# Two per core is plenty: requests are short and the database does the heavy lifting.
workers = 4
# Approving an application renders its certificate (a fraction of a second): allow it time.
timeout = 60
graceful_timeout = 30
# X-Forwarded-Proto from nginx only (the app's ProxyFix reads the rest: TRUSTED_PROXIES).
forwarded_allow_ips = "127.0.0.1"
# One line a request to the journal: the client (from nginx), the request, the status, the
# size, the time and the worker's pid. No referrer: tokens in links are redacted by the app.
accesslog = "-"
access_log_format = '%({x-forwarded-for}i)s "%(r)s" %(s)s %(b)s %(M)sms pid=%(p)s'
errorlog = "-"
# No control socket (gunicorn 24 and later: ~/.gunicorn/): systemd's signals are enough, and
# the service user has no home to write it in.
control_socket_disable = True


def _read_the_env_file_again() -> None:
    """gunicorn reads this file when it starts and again on a reload (`systemctl reload
    marks-web`, a HUP), before it starts new workers: they inherit the env file as it is
    now, read by marks-env as systemd reads it, with any setting taken out of it gone. A
    mistake in the file refuses the start; on a reload it leaves the settings as they were."""
    path = os.environ.get("MARKS_ENV_FILE", "/etc/marks/marks.env")
    if not os.path.exists(path):
        return  # not deployed as the guide says (a check of this file, say): nothing to read
    loader = importlib.machinery.SourceFileLoader(
        "marks_env", str(Path(__file__).with_name("marks-env"))
    )
    marks_env = importlib.util.module_from_spec(
        importlib.util.spec_from_loader("marks_env", loader)
    )
    loader.exec_module(marks_env)
    read_before = os.environ.get("MARKS_ENV_NAMES")
    try:
        settings = marks_env.read(path)
    except marks_env.EnvFileError as error:
        if read_before is None:
            raise
        print(f"{path} not read again: {error}; the settings stay as they were", file=sys.stderr)
        return
    for name in (read_before or "").split():
        if name not in settings:
            os.environ.pop(name, None)
    os.environ.update(settings)
    os.environ["MARKS_ENV_NAMES"] = " ".join(sorted(settings))


_read_the_env_file_again()
