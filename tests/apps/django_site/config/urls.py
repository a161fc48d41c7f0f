"""URL configuration of the Django test site: one page at "/"."""

from django.http import HttpResponse
from django.urls import path


def home(request):
    return HttpResponse(
        "Home page of the Django test site.\n", content_type="text/plain"
    )


urlpatterns = [
    path("", home),
]
