"""pmkg's HTTP service (``pmkg serve``): link predictions and the named query library for other systems.

One idea per module:

- :mod:`pmkg.service.settings`: configuration from ``PMKG_API_*`` environment variables;
- :mod:`pmkg.service.auth`: the ``X-API-Key`` check (constant-time, keys from env or a file);
- :mod:`pmkg.service.model`: the ONE adapter to the trained model (scores, ids, calibration, model_version);
- :mod:`pmkg.service.patients`: the one adapter to the drug-patient model (score one patient, store one on request);
- :mod:`pmkg.service.graph`: graph access with deadlines, so an unreachable graph gives 503, never a hang;
- :mod:`pmkg.service.curies`: CURIE validation against the schema's prefixes;
- :mod:`pmkg.service.schemas`: request and response bodies (the OpenAPI spec);
- :mod:`pmkg.service.middleware`: body-size limit, request ids, an access log without bodies, no stack traces;
- :mod:`pmkg.service.routes`: one router per resource; :mod:`pmkg.service.app` assembles them.
"""

if __name__ == "service":  # a checkout's root is on sys.path, but the folder is only installed as pmkg.service
    raise ImportError("'service' is pmkg's folder for pmkg.service: import pmkg.service instead")

