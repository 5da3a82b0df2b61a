# The Liquid Sync image for docker-compose.yaml: Apache Airflow 3.3.2 (Python 3.11) with the
# project's pinned requirements and its package (include/: liquid_sync, liquid_emulator) installed
# in editable mode, so the include/ that compose mounts over /opt/airflow/include is what runs.
FROM apache/airflow:3.3.2-python3.11

COPY --chown=airflow:root requirements.txt /opt/airflow/requirements.txt
RUN pip install --no-cache-dir "apache-airflow==3.3.2" -r /opt/airflow/requirements.txt

COPY --chown=airflow:root pyproject.toml /opt/airflow/pyproject.toml
COPY --chown=airflow:root include /opt/airflow/include
RUN pip install --no-cache-dir --no-deps -e /opt/airflow

ENV PYTHONPATH=/opt/airflow/include
