"""gunicorn's settings for this site: `gunicorn config.wsgi --config config/gunicorn.conf.py`.

The Server header: gunicorn sends `Server: gunicorn` with every response, and 27.0.1 has
no setting for it (its maintainers have declined one: benoitc/gunicorn#825, #1617). Its
HTTP/1.1 responses read the name from `gunicorn.http.wsgi.SERVER` each time one is made,
so blanking it here leaves an empty `Server:` header that names no software. (gunicorn's
own error pages for requests it cannot parse send no Server header at all.)
"""

import glob
import os

import gunicorn.http.wsgi
from prometheus_client import multiprocess

gunicorn.http.wsgi.SERVER = ""

# Prometheus' multiprocess mode (config/metrics.py), when PROMETHEUS_MULTIPROC_DIR is set:
# each worker writes its samples to files there and /metrics adds them up. Files left by
# an earlier run would be added in too, so the directory is emptied at start; a worker
# that exits leaves its counters (still counted) but its live gauges must go.
_METRICS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def on_starting(server):
    if _METRICS_DIR:
        os.makedirs(_METRICS_DIR, exist_ok=True)
        for stale in glob.glob(os.path.join(_METRICS_DIR, "*.db")):
            os.remove(stale)


def child_exit(server, worker):
    if _METRICS_DIR:
        multiprocess.mark_process_dead(worker.pid)
