"""The REST API mounted at /api/v1/ (django-ninja). Built by the access/API helper."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
