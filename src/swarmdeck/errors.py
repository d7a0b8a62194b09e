"""The root of every error swarmdeck raises on purpose.

Each layer (engine, images, platform, ...) has its own root derived from this one, so the
two edges (CLI, console) catch ``SwarmdeckError`` and turn it into one clear line or an HTTP
answer; anything else escaping is a bug.
"""


class SwarmdeckError(Exception):
    """An expected failure with a message meant for the user."""
