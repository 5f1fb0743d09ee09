"""gunicorn's settings for this site: `gunicorn config.wsgi --config config/gunicorn.conf.py`.

The Server header: gunicorn sends `Server: gunicorn` with every response, and 27.0.1 has
no setting for it (its maintainers have declined one: benoitc/gunicorn#825, #1617). Its
HTTP/1.1 responses read the name from `gunicorn.http.wsgi.SERVER` each time one is made,
so blanking it here leaves an empty `Server:` header that names no software. (gunicorn's
own error pages for requests it cannot parse send no Server header at all.)
"""

import gunicorn.http.wsgi

gunicorn.http.wsgi.SERVER = ""
