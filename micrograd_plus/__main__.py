"""`python -m micrograd_plus ...`: the classroom command line (see cli.py)."""
from .cli import main

raise SystemExit(main())
