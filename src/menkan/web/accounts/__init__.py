"""Accounts: users, the roles they hold (and over what), login, forced password change."""
