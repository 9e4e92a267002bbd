"""Foresight over audits: what a policy change would do (impact), who can still finish in time (forecast), a plan's terms."""
