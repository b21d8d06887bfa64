from did_gov.cli import main

raise SystemExit(main())
