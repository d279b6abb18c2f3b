"""Real servers on 127.0.0.1 for the staging tests: Python's http.server and pyftpdlib."""
import socket
import subprocess
import sys
import time
from contextlib import contextmanager


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, process, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port}")


@contextmanager
def serving(command, port):
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, process)
        yield port
    finally:
        process.terminate()
        process.wait(10)


def http_server(directory):
    """Serve ``directory`` over HTTP; yields the port."""
    port = free_port()
    return serving([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                    "--directory", str(directory)], port)


def ftp_server(directory, user, password):
    """Serve ``directory`` over FTP to ``user``; yields the port."""
    port = free_port()
    return serving([sys.executable, "-m", "pyftpdlib", "-i", "127.0.0.1", "-p", str(port),
                    "-d", str(directory), "-u", user, "-P", password], port)
