# azby in a container: `docker build -t azby .` then see compose.yaml (bot + PostgreSQL).
# The image installs the wheel only (no tests, no dev tools) and runs as an unprivileged user.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY storage ./storage
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    AZBY_FEEDS_FILE=/etc/azby/feeds.yaml \
    AZBY_DATABASE_URL=sqlite+aiosqlite:////var/lib/azby/azby.sqlite3 \
    AZBY_HTTP_PORT=8080
RUN useradd --system --uid 10001 --home-dir /var/lib/azby --create-home azby \
    && mkdir -p /etc/azby
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
COPY feeds.yaml /etc/azby/feeds.yaml
USER azby
WORKDIR /var/lib/azby
VOLUME ["/var/lib/azby"]
EXPOSE 8080
# /healthz: 200 while the database answers and the scheduler runs (metrics on /metrics)
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['AZBY_HTTP_PORT'] + '/healthz', timeout=4)"]
# SIGTERM stops it cleanly; SIGHUP re-reads feeds.yaml (`docker kill -s HUP <container>`)
STOPSIGNAL SIGTERM
ENTRYPOINT ["azby"]
CMD ["run"]
