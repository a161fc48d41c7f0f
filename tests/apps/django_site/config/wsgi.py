"""WSGI entry point of the Django test site.

Reproduces a Django 5.2 site in production mode (DEBUG=False) with no route for
/.well-known/acme-challenge/, so challenge requests get Django's own 404 page.

Start: gunicorn --no-control-socket --chdir tests/apps/django_site -b 127.0.0.1:PORT config.wsgi:application
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()
