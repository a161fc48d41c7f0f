"""Plain Flask app with a single route at "/", served by gunicorn.

Reproduces a Python site without a challenge route: an unknown path gets
Werkzeug's 404 "Not Found" page.

Start: gunicorn --no-control-socket --chdir tests/apps/flask_plain -b 127.0.0.1:PORT app:app
"""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def home():
    return "Home page of the plain Flask test app.\n"
