"""Apps: the decorators that turn functions into workflow tasks (Parsl's ``parsl.app``).

``python_app`` runs a function on a worker, ``bash_app`` a command line built by
one, ``join_app`` a function on the client that launches other apps.
"""
from .autolog import AUTO_LOGNAME
from .base import App
from .bash import BashApp, bash_app
from .join import JoinApp, join_app
from .python import PythonApp, python_app

__all__ = ["AUTO_LOGNAME", "App", "BashApp", "JoinApp", "PythonApp", "bash_app", "join_app", "python_app"]
