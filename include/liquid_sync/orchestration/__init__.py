"""The Airflow side of Liquid Sync, as plain functions the thin ``dags/liquid_sync.py`` calls.

* ``settings``: what the DAG reads when it is parsed (accounts, retries, modes); standard
  library only, so parsing stays cheap.
* ``tasks``: the task bodies (import the inbox, extract one account, transform, validate, load,
  reconcile); they import the pipeline, so DAG tasks import this module inside the task.
* ``summary``: the run summary (per-account status, loaded and de-duplicated counts, validation,
  reconciliation), written next to the data and logged.
* ``local_airflow``: running the DAG on this machine (an Airflow home, environment connections
  for emulator tokens, ``airflow`` commands), for the demo and the tests.
"""
