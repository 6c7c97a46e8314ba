"""`python -m opsbook`: the same as the `opsbook` command."""

import sys

from opsbook.cli.main import main

sys.exit(main())
