"""Images: build, tag, push and pull, and base images made offline from Debian packages.

Errors raised here derive from :class:`swarmdeck.images.errors.ImageError`.
"""
