"""friendlyhello: the seed report's web service (a Flask app counting visits in Redis),
made production grade.

Behaviour is the report's app.py: ``GET /`` answers
``<h3>Hello {name}!</h3><b>Hostname:</b> {hostname}<br/><b>Visits:</b> {visits}`` with the
visit number from Redis ``INCR counter``, or ``<i>cannot connect to Redis, counter
disabled</i>`` when Redis does not answer within the report's 2 seconds. Added: a JSON form
(``Accept: application/json``), ``/healthz`` and ``/readyz``.

How it is served, and why (measured on a 2-core machine, wrk -t1 -c16, one local Redis;
the seed app under Flask's development server made ~1,100 req/s in the same runs):
- Flask under a production server tops out far below 15x the seed (gunicorn with 2 sync
  workers: ~2,200 req/s in the project's notes), so Flask-style code was not kept.
- granian's native RSGI interface with ``redis.asyncio`` (hiredis, pool tuned from 4 to 64)
  made 14,000-16,000 req/s: only ~13-15x the seed, most of the time spent in redis-py's
  per-command machinery (pool checkout, retry wrapper, observability hooks).
- granian RSGI with the tiny pipelined client in ``redislink`` (one connection per
  worker, replies matched in order, no pool): ~37,000 req/s, p99 ~1.4 ms. That is the
  choice. The client is also where "exactly one INCR per answered request" is enforced:
  it never re-sends a command (redis-py's default Retry would, after a timeout).
See bench/friendlyhello.py in the repository for the side-by-side benchmark.
"""

__version__ = "1.0.0"
