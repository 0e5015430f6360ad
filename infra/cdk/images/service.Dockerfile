# The run service: `batchflow serve --no-local-aws` behind the stack's load balancer.
# Build from the repository root:
#   docker build -f infra/cdk/images/service.Dockerfile -t batchflow/service:0.1.0 .
FROM python:3.11.11-slim-bookworm
RUN useradd --create-home --uid 10001 batchflow
WORKDIR /opt/batchflow
COPY pyproject.toml README.md ./
COPY src ./src
# The wheel carries the catalog and the profiles (pyproject.toml's force-include).
COPY workflows ./workflows
RUN pip install --no-cache-dir ".[server]" && rm -rf /root/.cache
USER batchflow
EXPOSE 8000
CMD ["batchflow", "serve", "--no-local-aws", "--host", "0.0.0.0"]
