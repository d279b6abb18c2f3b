"""This machine's addresses, for ``HighThroughputExecutor(address=...)`` (Parsl's ``parsl.addresses``)."""
from __future__ import annotations

import ipaddress
import socket

import psutil

__all__ = ["address_by_hostname", "address_by_interface", "address_by_route", "get_all_addresses",
           "get_any_address"]


def address_by_hostname() -> str:
    """This machine's fully qualified host name."""
    return socket.getfqdn()


def address_by_route() -> str:
    """The IPv4 address of the interface that the default route leaves by."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # a documentation address: no packet is sent
        return probe.getsockname()[0]


def address_by_interface(ifname: str) -> str:
    """The IPv4 address of network interface ``ifname`` (``eth0``, ``ib0``...)."""
    for address in psutil.net_if_addrs().get(ifname, ()):
        if address.family == socket.AF_INET:
            return address.address
    known = ", ".join(sorted(psutil.net_if_addrs()))
    raise ValueError(f"network interface {ifname!r} has no IPv4 address; interfaces here: {known}")


def get_all_addresses() -> set[str]:
    """Every IPv4 address of this machine's interfaces, the host name and the routed address."""
    addresses = {address.address for interface in psutil.net_if_addrs().values()
                 for address in interface if address.family == socket.AF_INET}
    addresses.add(address_by_hostname())
    try:
        addresses.add(address_by_route())
    except OSError:  # no route out of this machine
        pass
    return addresses


def get_any_address() -> str:
    """One address other machines may reach this one by: the routed one, else any non-loopback."""
    try:
        return address_by_route()
    except OSError:
        others = sorted(address for address in get_all_addresses() if not _is_loopback(address))
        return others[0] if others else "127.0.0.1"


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:  # a host name
        return address == "localhost"
