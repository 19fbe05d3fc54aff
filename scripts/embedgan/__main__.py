"""`python -m embedgan`: the `embedgan` command (embedgan.cli)."""

import sys

from embedgan.cli import main

sys.exit(main())
