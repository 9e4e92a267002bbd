"""`python -m menkan.cli`: the `menkan` command run as a module."""

from menkan.cli import main

raise SystemExit(main())
