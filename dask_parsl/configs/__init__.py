"""Ready-made configurations, as Parsl's ``parsl.configs``:
``from dask_parsl.configs.local_threads import config``."""
