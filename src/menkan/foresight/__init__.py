"""Foresight over audits: what a policy change would do, who can still finish in time, a plan term by term."""
