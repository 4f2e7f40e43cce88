# syntax=docker/dockerfile:1
# Build stage: install the package and its dependencies into a virtual environment.
FROM python:3.11.9-slim-bookworm AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md constraints.txt ./
COPY api ./api
COPY cli ./cli
COPY model ./model
COPY spark ./spark
COPY store ./store
# The versions CI tested (constraints.txt), not whatever is newest on the day of the build.
RUN pip install -c constraints.txt .

# Runtime stage: the venv with the package (its model, page, spec and gunicorn settings inside); no compilers.
FROM python:3.11.9-slim-bookworm
# nginx in front of gunicorn (deploy/nginx.conf): slow clients are buffered there, not in a scoring worker.
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 nginx-light && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 botlens \
    && mkdir -p /var/lib/botlens && chown botlens /var/lib/botlens
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY deploy ./deploy
# gunicorn on loopback only; nginx listens on :8000 and is the one address clients reach.
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 BOTLENS_BIND=127.0.0.1:8001 BOTLENS_PROXY_HOPS=1 \
    BOTLENS_STORE_DIR=/var/lib/botlens
# The score store's SQLite file (when BOTLENS_STORE_URL does not point at PostgreSQL) outlives the container.
VOLUME /var/lib/botlens
USER botlens
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health/ready', timeout=2).status == 200 else 1)"
CMD ["deploy/start.sh"]
