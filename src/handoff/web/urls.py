"""Page URLs. Each name has a rule in handoff.access.permissions."""

from django.urls import path

from handoff.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("jail/", views.jail_dashboard, name="jail"),
    path("office/", views.office_dashboard, name="office"),
    path("office/requests", views.office_requests, name="office_requests"),
    path("counsel/overrides", views.overrides, name="overrides"),
    path("office/requests.csv", views.office_csv, name="office_csv"),
    path("requests/new", views.request_new, name="request_new"),
    path("requests/<str:request_id>/scans/<int:scan_id>", views.request_scan, name="request_scan"),
    path("bookings/<str:facility>/<str:number>/release", views.booking_release, name="booking_release"),
    path("bookings/<str:facility>/<str:number>/correct", views.booking_correct, name="booking_correct"),
    path("bookings/<str:facility>/<str:number>/attorney", views.booking_attorney, name="booking_attorney"),
    path("bookings/<str:facility>/<str:number>/interview", views.booking_interview, name="booking_interview"),
    path("requests/<str:request_id>/", views.request_detail, name="request_detail"),
    path("requests/<str:request_id>/review", views.request_review, name="request_review"),
    path("requests/<str:request_id>/override", views.request_override, name="request_override"),
    path("requests/<str:request_id>/outcome", views.request_outcome, name="request_outcome"),
    path("requests/<str:request_id>/link", views.request_link, name="request_link"),
    path("notices/<str:notice_id>/letter", views.letter, name="letter"),
    path("notices/<str:notice_id>/letter.pdf", views.letter_pdf, name="letter_pdf"),
    path("notices/<str:notice_id>/handover", views.letter_handover, name="letter_handover"),
    path("notices/<str:notice_id>/acknowledge", views.notice_ack, name="notice_ack"),
    path("policies", views.policies, name="policies"),
    path("policies/try", views.policy_try, name="policy_try"),
    path("policies/<str:policy_id>", views.policy_detail, name="policy_detail"),
    path("transparency", views.transparency, name="transparency"),
    path("transparency.csv", views.transparency_csv, name="transparency_csv"),
    path("transparency.parquet", views.transparency_parquet, name="transparency_parquet"),
    path("transparency/codebook", views.transparency_codebook, name="transparency_codebook"),
    path("transparency/codebook.csv", views.transparency_codebook_csv, name="transparency_codebook_csv"),
    path("session/keepalive", views.keepalive, name="keepalive"),
    path("people/review", views.people_review, name="people_review"),
    path("people/search", views.people_search, name="people_search"),
]
