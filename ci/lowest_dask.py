"""Print pip requirements pinning dask and distributed to the lowest versions setup.cfg allows."""
import configparser
import os
import re

setup = configparser.ConfigParser()
setup.read(os.path.join(os.path.dirname(__file__), "..", "setup.cfg"))
requires = setup["options"]["install_requires"]
print(" ".join(f"{name}=={version}" for name, version in
               re.findall(r"^\s*(dask|distributed)>=([\w.]+)", requires, re.MULTILINE)))
