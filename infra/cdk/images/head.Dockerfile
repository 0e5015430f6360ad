# Head jobs: `batchflow head` runs Snakemake with the batchflow executor inside AWS Batch.
# Build from the repository root:
#   docker build -f infra/cdk/images/head.Dockerfile -t batchflow/head:0.1.0 .
FROM python:3.11.11-slim-bookworm
RUN useradd --create-home --uid 10001 batchflow
WORKDIR /opt/batchflow
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir . && rm -rf /root/.cache
USER batchflow
WORKDIR /home/batchflow
ENTRYPOINT []
CMD ["batchflow", "head", "--help"]
