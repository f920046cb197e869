# The pmkg HTTP service (`pmkg serve`). Built and started by `docker compose up -d api`; see README, "HTTP service".
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OMP_WAIT_POLICY=PASSIVE

WORKDIR /app

# The CPU build of torch first: the default PyPI wheel pulls several GB of CUDA libraries a CPU service never uses.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

COPY pyproject.toml README.md ./
COPY kg ./kg
COPY gnn ./gnn
COPY ingest ./ingest
COPY queries ./queries
COPY service ./service
COPY pmkg ./pmkg
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /app pmkg \
    && mkdir -p /app/pmkg-data/models \
    && chown -R pmkg /app/pmkg-data

USER pmkg
ENV PMKG_API_HOST=0.0.0.0 \
    PMKG_API_PORT=8000 \
    PMKG_MODELS_DIR=/app/pmkg-data/models
EXPOSE 8000

# Ready = model loaded and graph reachable. Loading exports the graph once, hence the long start period.
HEALTHCHECK --interval=15s --timeout=5s --start-period=180s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request as u; sys.exit(u.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status != 200)"]

CMD ["pmkg", "serve"]
