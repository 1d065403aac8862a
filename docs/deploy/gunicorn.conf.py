"""gunicorn's settings for the Social Media Friendly Mark (docs/deploy.md). The app's own
settings come from /etc/marks/marks.env; GUNICORN_CMD_ARGS can override these."""

wsgi_app = "app:app"
# nginx, on this machine, is the only client.
bind = "127.0.0.1:8000"
# Two per core is plenty: requests are short and the database does the heavy lifting.
workers = 4
# A certificate PDF is rendered on its first download: allow it time.
timeout = 60
graceful_timeout = 30
# X-Forwarded-Proto from nginx only (the app's ProxyFix reads the rest: TRUSTED_PROXIES=1).
forwarded_allow_ips = "127.0.0.1"
# One line a request to the journal: the client (from nginx), the request, the status, the
# size, the time and the worker's pid. No referrer: tokens in links are redacted by the app.
accesslog = "-"
access_log_format = '%({x-forwarded-for}i)s "%(r)s" %(s)s %(b)s %(M)sms pid=%(p)s'
errorlog = "-"
