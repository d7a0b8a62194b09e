"""``python -m swarmdeck``: the same command line as the ``swarmdeck`` script (``cli.main``)."""

from swarmdeck.cli.main import main

main()
