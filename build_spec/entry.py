"""The frozen app's entry point: the same as ``python -m explorer``."""

from explorer.__main__ import main

if __name__ == "__main__":
    main()
