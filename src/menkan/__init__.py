"""menkan: graduation-requirements certification (門檻)."""

__version__ = "0.1.0"
