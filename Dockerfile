FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY ledger ledger
COPY projections projections
COPY api api
RUN pip install --no-cache-dir . && useradd --create-home parledger && mkdir /data && chown parledger /data
USER parledger
WORKDIR /data
ENTRYPOINT ["parledger"]
CMD ["--help"]
