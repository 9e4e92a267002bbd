"""gunicorn's settings for the portal (`gunicorn -c python:menkan.web.gunicorn_conf`); the environment tunes them."""

from __future__ import annotations

import os

wsgi_app = "menkan.web.wsgi:application"
bind = [os.environ.get("MENKAN_BIND", "127.0.0.1:8000")]
# Processes, not threads: an audit or a PDF is CPU work. WEB_CONCURRENCY is gunicorn's usual knob.
workers = int(os.environ.get("WEB_CONCURRENCY", str(min(2 * (os.cpu_count() or 1) + 1, 8))))
# The application (and the current policies, menkan.web.wsgi) is loaded once in the master and shared by the workers
# it forks; a restart (not a HUP) loads new code.
preload_app = True
# A graduate list's PDF or a large export takes seconds; a worker stuck far longer than that is replaced.
timeout = int(os.environ.get("MENKAN_WEB_TIMEOUT", "120"))
graceful_timeout = 30
# A worker is replaced after this many requests (forked again from the master's loaded copy), so memory stays flat.
max_requests = 2000
max_requests_jitter = 200
# The reverse proxy's address: only from there are X-Forwarded-* headers believed.
forwarded_allow_ips = os.environ.get("MENKAN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# gunicorn's control socket (gunicornc) is not used: it would be one file in $HOME shared by every gunicorn of the user.
control_socket_disable = True
accesslog = "-"  # stdout, like the application's logs
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms'
