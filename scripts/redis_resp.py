"""A small Redis client for the Function scripts (redis-function-cost.py,
redis-function-diff.py): RESP2 over a plain socket, nothing to install."""
import socket


def encode(args):
    out = [b'*%d\r\n' % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += [b'$%d\r\n' % len(a), a, b'\r\n']
    return b''.join(out)


class Redis:
    """One connection; `redis(*args)` sends a command and returns its reply.
    An error reply raises RuntimeError, or becomes `error(text)` when given."""

    def __init__(self, port, error=None):
        self.s = socket.create_connection(('127.0.0.1', port))
        self.f = self.s.makefile('rb')
        self.error = error

    def reply(self):
        line = self.f.readline()[:-2]
        kind, rest = line[:1], line[1:]
        if kind == b'+': return rest
        if kind == b'-':
            if self.error is None: raise RuntimeError(rest.decode())
            return self.error(rest.decode())
        if kind == b':': return int(rest)
        if kind == b'$':
            n = int(rest)
            return None if n < 0 else self.f.read(n + 2)[:-2]
        if kind == b'*':
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise ValueError(line)

    def __call__(self, *args):
        self.s.sendall(encode(args))
        return self.reply()
