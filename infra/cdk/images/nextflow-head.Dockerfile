# Nextflow head jobs: `python3 -m batchflow_service.engines.nextflow.head` fetches the staged run from
# S3 and starts `nextflow run` with the awsbatch executor. Nextflow's launcher downloads its
# runtime at first use, so this image runs it once at build time, with the version pinned.
# Build from the repository root:
#   docker build -f infra/cdk/images/nextflow-head.Dockerfile -t batchflow/nextflow-head:0.1.0 .
FROM python:3.11.11-slim-bookworm
ENV NXF_VER=24.10.2 NXF_HOME=/opt/nextflow
RUN apt-get update \
    && apt-get install --yes --no-install-recommends \
        ca-certificates curl openjdk-17-jre-headless procps \
    && rm -rf /var/lib/apt/lists/* \
    && curl -fsSL "https://github.com/nextflow-io/nextflow/releases/download/v${NXF_VER}/nextflow" -o /usr/local/bin/nextflow \
    && chmod 755 /usr/local/bin/nextflow \
    && nextflow -version
# The plugins each run's generated nextflow.config names, installed now: a head job in the
# private subnets has no internet route (no NAT gateway by default) to fetch them later.
RUN nextflow plugin install nf-amazon,nf-weblog
WORKDIR /opt/batchflow
COPY pyproject.toml README.md ./
COPY src ./src
# The wheel carries the catalog and the profiles (pyproject.toml's force-include).
COPY workflows ./workflows
RUN pip install --no-cache-dir ".[server]" && rm -rf /root/.cache
RUN useradd --create-home --uid 10001 nextflow && chown -R nextflow /opt/nextflow
ENV NXF_OFFLINE=true
USER nextflow
WORKDIR /home/nextflow
CMD ["nextflow", "-version"]
