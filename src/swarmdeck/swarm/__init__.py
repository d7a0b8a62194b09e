"""The swarm layer: a swarm's membership, nodes, services, tasks and stacks, once, for every edge.

It sits above ``compose`` (whose stack back end deploys) and below ``platform``, ``console``
and ``cli``, which call it and show what it returns. It speaks the engine through the
``engine`` layer's checked clients and raises its own domain errors (``swarm.errors``),
never an HTTP status: each edge maps them once.

Modules: ``errors``, ``views`` (what the edges show, built from the engine's inspect answers),
``membership`` (init, join, leave, tokens, ``require_manager``), ``nodes``, ``services``
(and ``service_spec``, a typed change to a service's spec and the docker CLI's value syntax;
``service_logs``, logs streamed with docker's prefixes), ``overview``, ``stacks`` (ls, ps,
and the one ``remove``) and ``stack_tables`` (the docker CLI's stack and service tables).
"""
