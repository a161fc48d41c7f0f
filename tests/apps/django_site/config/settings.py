"""Settings of the Django test site: production mode without a database.

DEBUG is False, so unknown paths get Django's plain 404 page instead of the
debug page, and the security middleware adds its response headers.
"""

# A fixed key for a site that exists only in tests. It signs nothing.
SECRET_KEY = "acme-preflight-test-site-not-secret"

DEBUG = False
ALLOWED_HOSTS = ["*"]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

INSTALLED_APPS = []

# SecurityMiddleware adds X-Content-Type-Options, Referrer-Policy and
# Cross-Origin-Opener-Policy. XFrameOptionsMiddleware adds X-Frame-Options.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

DATABASES = {}

USE_TZ = True
TIME_ZONE = "UTC"
