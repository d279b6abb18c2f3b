"""The scheduler side of a workflow: ``WorkflowPlugin`` decides retries where tries
fail, reports tries to the kernels that own them, and keeps each workflow's counts
for the dashboard's Workflow page (``board``).
"""
from .plugin import PLUGIN_NAME, WorkflowPlugin

__all__ = ["PLUGIN_NAME", "WorkflowPlugin"]
