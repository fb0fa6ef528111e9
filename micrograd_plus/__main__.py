"""`python -m micrograd_plus ...`: the classroom command line (see teach/cli.py)."""
from .teach.cli import main

raise SystemExit(main())
