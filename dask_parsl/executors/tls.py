"""TLS for the clusters dask_parsl starts (``parsl.encrypted``, on by default).

A Dask scheduler runs whatever function it is sent, and every user of a shared login
node can connect to 127.0.0.1; with TLS, only a process holding the run's certificate
can. Each cluster gets a temporary self-signed certificate (``Security.temporary()``),
valid for its scheduler, workers and clients. It is also written, with its key, to
``run_dir/NNN/tls/<executor label>.pem`` (mode 0600), so another process of yours can
connect (``security_from``). Batch jobs read it the way dask-jobqueue's ``security=`` ships it,
from files in its ``shared_temp_directory``: the run directory, which compute nodes share.
"""
from __future__ import annotations

import os

from distributed import Security

from .. import settings

TLS_DIR = "tls"


def encrypted(given: bool | None = None) -> bool:
    """Whether a cluster dask_parsl starts uses TLS: ``given``, else ``parsl.encrypted``."""
    return bool(settings.get("encrypted")) if given is None else given


def temporary_security(run_dir: str, label: str) -> Security:
    """A temporary certificate for the cluster of executor ``label``, also written 0600
    under ``run_dir``."""
    security = Security.temporary()
    path = certificate_path(run_dir, label)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as pem:
        pem.write(security.tls_client_cert + security.tls_client_key)
    return security


def certificate_path(run_dir: str, label: str) -> str:
    """Where ``temporary_security`` writes the certificate and key of executor ``label``."""
    return os.path.join(run_dir, TLS_DIR, f"{label}.pem")


def security_from(run_dir: str, label: str | None = None) -> Security:
    """What another client needs to connect to a cluster that the run in ``run_dir``
    (``runinfo/000``) started: ``Client(address, security=security_from(run_dir))``.
    ``label`` names the executor, if the run started clusters for several."""
    directory = os.path.join(run_dir, TLS_DIR)
    if label is None:
        found = sorted(name[:-4] for name in os.listdir(directory) if name.endswith(".pem"))
        if len(found) != 1:
            raise ValueError(f"{directory} holds the certificates of executors {found}: "
                             "say which with security_from(run_dir, label)")
        label = found[0]
    path = os.path.join(directory, f"{label}.pem")
    return Security(tls_ca_file=path, tls_client_cert=path, tls_client_key=path, require_encryption=True)
