"""friendlyhello: the seed report's web service (a Flask app counting visits in Redis),
made production grade.

Behaviour is the report's app.py: ``GET /`` answers
``<h3>Hello {name}!</h3><b>Hostname:</b> {hostname}<br/><b>Visits:</b> {visits}`` with the
visit number from Redis ``INCR counter``, or ``<i>cannot connect to Redis, counter
disabled</i>`` when Redis does not answer within the report's 2 seconds. Added: a JSON form
(``Accept: application/json``), ``/healthz`` and ``/readyz``.

How it is served, and why (2-core machine, wrk -t1 -c16, one local Redis; the seed app
under Flask's development server made 900-1,250 req/s in the same runs, so the goal of
15x is ~13,000-19,000 req/s):
- Flask under a production server stays far below (gunicorn, 2 sync workers: ~2,200
  req/s in the project's notes), so Flask-style code was not kept.
- granian's native RSGI interface with ``redis.asyncio`` (hiredis, pool of 4 to 64)
  made 14,000-16,000 req/s, about 15x: most of a request went to redis-py's per-command
  machinery (pool checkout, retry wrapper, observability hooks), and its default Retry
  re-sends a command after a timeout, which for INCR would skip numbers.
- granian RSGI with the tiny pipelined client in ``redislink`` (one connection per
  worker, replies matched in order, no pool): ~25,000 req/s on asyncio's loop and
  33,000-40,000 (p99 ~1.5 ms) on uvloop. That is the choice.
See README.md and bench/friendlyhello.py in the repository.
"""

__version__ = "1.0.0"
