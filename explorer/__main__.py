"""``python -m explorer`` and the ``rapidpro-explorer`` script: both run ``cli.main``."""

from __future__ import annotations

import sys

from explorer import cli


def main() -> None:
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
