"""The engine layer: the only package that imports SpiffWorkflow.

It parses and validates diagrams, evaluates expressions safely, (de)serialises workflows and
runs them, and hands back plain dataclasses (`app.engine.types`).
"""

from app.engine import clock_adapter

clock_adapter.install()
