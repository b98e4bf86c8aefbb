"""A TCP proxy on a loopback port that a test can cut and restore, to take a server (PostgreSQL)
away from its clients for real.

``cut()`` closes every open connection (the client sees the server hang up mid-conversation)
and stops listening (new connections are refused); ``restore()`` listens on the same port
again. The client's driver, pool and retry logic all meet a real lost connection.
"""

import socket
import threading


class TcpProxy:
    def __init__(self, *, target_host: str, target_port: int, host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        self.host = host
        self.port = 0
        self._listener: socket.socket | None = None
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.accepted = 0

    def __enter__(self) -> "TcpProxy":
        self.restore()
        return self

    def __exit__(self, *exc_info) -> None:
        self.cut()

    @property
    def is_cut(self) -> bool:
        return self._listener is None

    def restore(self) -> None:
        """Listen (again, on the same port once it has one) and forward new connections."""
        if self._listener is not None:
            return
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(64)
        # A timeout, so the accept loop notices cut(): closing a socket does not wake a thread
        # blocked in accept() on every platform.
        listener.settimeout(0.1)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True, name="tcp-proxy-accept").start()

    def cut(self) -> None:
        """Refuse new connections and hang up on every open one."""
        listener, self._listener = self._listener, None
        if listener is not None:
            _hang_up(listener)  # shutdown() stops a listening socket at once, even mid-accept()
        with self._lock:
            connections, self._connections = self._connections, set()
        for sock in connections:
            _hang_up(sock)

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _address = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed by cut()
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _hang_up(client)
                continue
            client.settimeout(None)
            upstream.settimeout(None)
            with self._lock:
                if self._listener is not listener:  # cut meanwhile
                    _hang_up(client)
                    _hang_up(upstream)
                    return
                self._connections.update((client, upstream))
                self.accepted += 1
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(
                    target=self._pump, args=(source, sink), daemon=True, name="tcp-proxy-pump"
                ).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        with self._lock:
            self._connections.discard(source)
            self._connections.discard(sink)
        _hang_up(source)
        _hang_up(sink)


def _hang_up(sock: socket.socket) -> None:
    # shutdown() first: it wakes a thread blocked in recv() on this socket, close() alone may not.
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
