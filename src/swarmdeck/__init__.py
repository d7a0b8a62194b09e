"""swarmdeck: build, ship and run the friendlyhello app on Docker and Docker Swarm."""

__version__ = "0.1.0"
