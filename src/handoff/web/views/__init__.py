"""Page views: parse, call a service, render. Every query for personal data goes through access.scoping."""

from handoff.web.views.clerk import booking_correct, booking_release, request_new, request_scan
from handoff.web.views.home import home, keepalive
from handoff.web.views.jail import jail_dashboard
from handoff.web.views.law import booking_attorney, booking_interview
from handoff.web.views.letters import letter_handover, letter_pdf
from handoff.web.views.lists import office_requests, overrides
from handoff.web.views.office import notice_ack, office_csv, office_dashboard, request_outcome
from handoff.web.views.people import people_review
from handoff.web.views.policies import policies, policy_detail, policy_try
from handoff.web.views.requests import letter, request_detail, request_override, request_review
from handoff.web.views.search import people_search, request_link
from handoff.web.views.transparency import (
    transparency,
    transparency_codebook,
    transparency_codebook_csv,
    transparency_csv,
    transparency_parquet,
)

__all__ = [
    "home", "keepalive", "jail_dashboard", "office_dashboard", "office_csv", "notice_ack", "request_outcome", "policies",
    "policy_detail", "policy_try", "letter", "request_detail", "request_override", "request_review",
    "transparency", "transparency_csv", "transparency_parquet", "transparency_codebook", "transparency_codebook_csv",
    "people_review", "people_search", "request_link", "request_new", "request_scan", "booking_release",
    "booking_correct", "booking_attorney", "booking_interview", "letter_pdf", "letter_handover", "office_requests", "overrides",
]
