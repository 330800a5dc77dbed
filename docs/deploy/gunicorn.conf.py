"""gunicorn configuration for casustafel in production.

Start:  gunicorn -c /opt/casustafel/docs/deploy/gunicorn.conf.py 'casustafel:create_app()'
(the systemd unit casustafel.service does this). Command-line options override these values.

The app runs behind a reverse proxy (docs/deploy/nginx.conf) on the same host, which ends TLS,
limits the request size and passes X-Forwarded-For / X-Forwarded-Proto. Flask's ProxyFix
(CASUSTAFEL_PROXY_HOPS, default 1) trusts exactly that one hop.
"""

import os

# Only the proxy on this host talks to gunicorn.
bind = os.environ.get("CASUSTAFEL_BIND", "127.0.0.1:8000")

# 4 processes with a few threads each: argon2, the crypto and PostgreSQL release the GIL.
# Each worker builds its own app (no preload), so each opens its own database pool and, at
# start, sweeps encrypted upload spools left by a killed worker (casustafel/storage.py).
workers = int(os.environ.get("CASUSTAFEL_WORKERS", "4"))
worker_class = "gthread"
threads = int(os.environ.get("CASUSTAFEL_THREADS", "4"))
preload_app = False

# A request that runs longer than this is killed and its worker replaced (no stuck workers).
# 120 s leaves room for a 100 MB upload on a slow line and the minutes PDF.
timeout = 120
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (memory), with jitter so they do not restart together.
max_requests = 2000
max_requests_jitter = 200

# Heartbeat files in memory, not on a disk that may be slow or full.
worker_tmp_dir = "/dev/shm"  # noqa: S108  # nosec B108 - gunicorn's heartbeat files only, no data

# Request size: the body limit lives in two places that must agree:
#   nginx  client_max_body_size 110m;        (docs/deploy/nginx.conf)
#   Flask  MAX_CONTENT_LENGTH = 110 MiB       (config.py; answers 413 beyond it)
# gunicorn itself limits only the request line and headers.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# X-Forwarded-* only from the proxy on this host (gunicorn's own check; ProxyFix is Flask's).
forwarded_allow_ips = os.environ.get("CASUSTAFEL_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proxy_allow_ips = forwarded_allow_ips

# Access log: method, path without query string, status, size, duration and the request id
# (the same id as in the access log of the application, audit_event.request_id).
# No query strings, no referrer, no user agent. Our URLs hold only ids, never personal data.
accesslog = os.environ.get("CASUSTAFEL_ACCESS_LOG", "-")
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms %({x-request-id}o)s'
errorlog = "-"
loglevel = "info"
capture_output = False

proc_name = "casustafel"
