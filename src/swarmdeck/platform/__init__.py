"""Workflows that combine the layers below: the report's walkthrough (`up`/`down`).

This layer sits above engine, registry, images and compose and below console and cli, so
that both faces run the same workflow and neither holds logic the other lacks.
"""
