"""Permission rules for the notices app's URLs (read by handoff.access.permissions).

The one-click acknowledgement link is public: the signed token in the URL is the credential (it names one
notice and its office, cannot be forged without the secret key, and expires). /metrics is public like
/healthz: aggregate counts only, no personal data and no place names. It lives in core.views, but its rule is
declared here because delivery figures are this app's.
"""

from __future__ import annotations

from handoff.access.permissions import R, Rule

RULES = {
    "notices:ack": Rule(read=R.ANYONE, write=R.ANYONE, scope="notice",
                        note="the signed token in the link is the credential"),
    "metrics": Rule(read=R.ANYONE, note="aggregate delivery figures, no personal data"),
}
