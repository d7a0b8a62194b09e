"""``python -m swarmdeck``: the same command line as the ``swarmdeck`` script (``cli.entry``)."""

from swarmdeck.cli.entry import main

main()
