"""The flow: a fact changed -> decide -> reconcile notices, in one transaction (see flow.py)."""
