FROM python:3.11-slim
# WeasyPrint lays out the PDF documents with Pango; Liberation Serif is metric-compatible
# with Times New Roman and covers Vietnamese (docs/adr/0009)
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation2 \
    && rm -rf /var/lib/apt/lists/*
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
