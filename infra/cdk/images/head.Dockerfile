# Head jobs: `batchflow head` runs Snakemake with the batchflow executor inside AWS Batch.
# Build from the repository root:
#   docker build -f infra/cdk/images/head.Dockerfile -t batchflow/head:0.1.0 .
FROM python:3.11.11-slim-bookworm
# git: the head makes the staged workflow a repository, so Snakemake deploys all of its files.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 batchflow
WORKDIR /opt/batchflow
COPY pyproject.toml README.md ./
COPY src ./src
# The wheel carries the catalog and the profiles (pyproject.toml's force-include).
COPY workflows ./workflows
RUN pip install --no-cache-dir ".[server]" && rm -rf /root/.cache
USER batchflow
WORKDIR /home/batchflow
ENTRYPOINT []
CMD ["batchflow", "head", "--help"]
