"""The REST API mounted at /api/v1/ (django-ninja): OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs."""

from django.urls import path

from handoff.api.main import api

urlpatterns = [path("", api.urls)]
