"""``python -m muonbsm.cli``: the ``muonbsm`` command."""

from muonbsm.cli import main

raise SystemExit(main())
