"""The scheduler side of a workflow: ``WorkflowPlugin`` decides retries where tries
fail, counts app tasks by state, and reports tries to the kernels that own them.
"""
from .plugin import PLUGIN_NAME, WorkflowPlugin

__all__ = ["PLUGIN_NAME", "WorkflowPlugin"]
