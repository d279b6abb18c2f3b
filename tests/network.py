"""A TCP proxy on 127.0.0.1 whose connections can be cut, as a network drop cuts them."""
import socket
import threading

from servers import free_port


class CuttableProxy:
    """Forwards connections on ``port`` to ``target`` (host, port) until ``cut()``: then
    every connection through it ends and new ones are refused until ``restore()``.
    After ``swallow()``, what clients send is dropped, as a failing link drops packets
    before the connection breaks."""

    def __init__(self, target):
        self.target = target
        self._sockets = set()
        self._lock = threading.Lock()
        self._listener = None
        self._swallowing = False
        self.port = free_port()
        self.restore()

    @property
    def address(self):
        return f"tcp://127.0.0.1:{self.port}"

    def swallow(self):
        self._swallowing = True

    def restore(self):
        self._swallowing = False
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self):
        _shut(self._listener)  # wakes its accept() (closing alone would leave it listening)
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                _shut(sock)  # its pump threads end, and its last reference goes with them: a socket
            self._sockets.clear()  # closed under a thread still using it may pass its number to a new one

    def _accept(self, listener):
        while True:
            try:
                downstream, _ = listener.accept()
            except OSError:  # cut
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                downstream.close()
                continue
            with self._lock:
                self._sockets.update((downstream, upstream))
            for source, sink, from_client in ((downstream, upstream, True), (upstream, downstream, False)):
                threading.Thread(target=self._pump, args=(source, sink, from_client), daemon=True).start()

    def _pump(self, source, sink, from_client):
        try:
            while data := source.recv(65536):
                if not (from_client and self._swallowing):
                    sink.sendall(data)
        except OSError:
            pass
        with self._lock:
            self._sockets.difference_update((source, sink))
        _shut(source)
        _shut(sink)


def _shut(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
