"""Plotly Dash app with Dash Pages, served by gunicorn.

Reproduces a Dash deployment where the router responds to every unknown path
with status 200 and the app's HTML shell, so a missing challenge file looks served.
Setting CHALLENGE_DIR adds the fix: a Flask route on the Dash server that sends
files from that folder as text/plain.

Start: gunicorn --no-control-socket --chdir tests/apps/dash_pages -b 127.0.0.1:PORT app:server
"""

import os

from dash import Dash, page_container
from flask import send_from_directory

app = Dash(__name__, use_pages=True)
app.layout = page_container

# The Flask app that gunicorn serves.
server = app.server

challenge_dir = os.environ.get("CHALLENGE_DIR")
if challenge_dir:

    @server.route("/.well-known/acme-challenge/<path:filename>")
    def acme_challenge(filename):
        # send_from_directory rejects paths that leave challenge_dir and
        # returns 404 for files that do not exist.
        return send_from_directory(challenge_dir, filename, mimetype="text/plain")
