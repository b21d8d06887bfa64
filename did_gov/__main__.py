"""``python -m did_gov`` runs the did-gov command."""

from did_gov.cli import main

raise SystemExit(main())
