"""pmkg's HTTP service (``pmkg serve``): link predictions and the named query library for other systems.

One idea per module:

- :mod:`service.settings`: configuration from ``PMKG_API_*`` environment variables;
- :mod:`service.auth`: the ``X-API-Key`` check (constant-time, keys from env or a file);
- :mod:`service.model`: the ONE adapter to the trained model (scores, ids, calibration, model_version);
- :mod:`service.patients`: the one adapter to the drug-patient model (score one patient, store one on request);
- :mod:`service.graph`: graph access with deadlines, so an unreachable graph gives 503, never a hang;
- :mod:`service.curies`: CURIE validation against the schema's prefixes;
- :mod:`service.schemas`: request and response bodies (the OpenAPI spec);
- :mod:`service.middleware`: body-size limit, request ids, an access log without bodies, no stack traces;
- :mod:`service.routes`: one router per resource; :mod:`service.app` assembles them.
"""
