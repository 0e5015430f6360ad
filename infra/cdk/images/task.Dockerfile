# Rule jobs: bash, a `python` with snakemake and snakemake-storage-plugin-s3 (the executor's
# job command runs `python -m snakemake`), and the tools the workflows in workflows/ call.
# Build from the repository root:
#   docker build -f infra/cdk/images/task.Dockerfile -t batchflow/task:0.1.0 .
FROM python:3.11.11-slim-bookworm
# The tools workflows/variant-calling and workflows/msa call, at Debian bookworm's versions;
# awscli and procps for Nextflow's awsbatch tasks, which stage files with `aws s3`.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends \
        awscli=2.9.19-1 \
        bash \
        procps \
        bcftools=1.16-1 \
        bwa=0.7.17-7+b2 \
        clustalo=1.2.4-7 \
        fastqc=0.11.9+dfsg-6 \
        samtools=1.16.1-1 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/batchflow
COPY pyproject.toml README.md ./
COPY src ./src
# The wheel carries the catalog and the profiles (pyproject.toml's force-include).
COPY workflows ./workflows
RUN pip install --no-cache-dir . "snakemake>=9.10,<10" && rm -rf /root/.cache
RUN useradd --create-home --uid 10001 batchflow
USER batchflow
WORKDIR /home/batchflow
