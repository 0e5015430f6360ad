# Nextflow head jobs: `nextflow run` with the awsbatch executor. Nextflow's launcher downloads
# its runtime at first use, so this image runs it once at build time, with the version pinned.
#   docker build -f infra/cdk/images/nextflow-head.Dockerfile -t batchflow/nextflow-head:0.1.0 .
FROM eclipse-temurin:17.0.13_11-jre-jammy
ENV NXF_VER=24.10.2 NXF_HOME=/opt/nextflow
RUN apt-get update \
    && apt-get install --yes --no-install-recommends curl ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && curl -fsSL "https://github.com/nextflow-io/nextflow/releases/download/v${NXF_VER}/nextflow" -o /usr/local/bin/nextflow \
    && chmod 755 /usr/local/bin/nextflow \
    && nextflow -version \
    && chmod -R a+rX /opt/nextflow
RUN useradd --create-home --uid 10001 nextflow
USER nextflow
WORKDIR /home/nextflow
CMD ["nextflow", "-version"]
