"""Apps on threads of this process (Parsl's ``parsl.configs.local_threads``)."""
from ..config import Config
from ..executors import ThreadPoolExecutor

config = Config(executors=[ThreadPoolExecutor()])
