# The project image: the official Airflow 3.3.2 image + our pinned requirements + the package.
FROM apache/airflow:3.3.2-python3.11

USER airflow
COPY --chown=airflow:root requirements.txt /opt/kalshi-edge/requirements.txt
RUN pip install --no-cache-dir -r /opt/kalshi-edge/requirements.txt

# The library, installed editable so the mounted include/ is what runs (edit without rebuild).
COPY --chown=airflow:root pyproject.toml README.md /opt/kalshi-edge/
COPY --chown=airflow:root include /opt/kalshi-edge/include
RUN pip install --no-cache-dir --no-deps -e /opt/kalshi-edge

ENV KALSHI_EDGE_HOME=/opt/kalshi-edge \
    KALSHI_EDGE_DATA_DIR=/opt/kalshi-edge/data \
    KALSHI_EDGE_MODELS_DIR=/opt/kalshi-edge/models
