#!/usr/bin/python3
"""A real SMTP server for tally's tests (Debian's python3-aiosmtpd, hence /usr/bin/python3:
the system interpreter, whatever python3 is first on PATH).

Every message it accepts is written to DIR as <n>.eml: the message exactly
as received (after SMTP's dot-unstuffing), preceded by one
`X-Envelope-From:` and one `X-Envelope-To:` line per RCPT TO, so a test
reads the envelope and the content from one file. Files appear whole (a
temporary name, then a rename). The listening port goes to --port-file once
the server accepts connections.

Options for the other paths of the client: --tls-cert/--tls-key offer
STARTTLS (--require-tls refuses anything before it), --user/--password
require AUTH (PLAIN or LOGIN, over TLS only), --delay-ms holds each
message before answering the final dot, --refuse ADDRESS answers 550 to
that recipient.
"""
import argparse
import asyncio
import itertools
import os
import signal
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Keep:
    def __init__(self, directory, delay_ms, refused):
        self.directory = directory
        self.delay = delay_ms / 1000
        self.refused = set(refused)
        self.counter = itertools.count(1)
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            number = next(self.counter)
        name = os.path.join(self.directory, f"{os.getpid()}-{number:06d}.eml")
        head = f"X-Envelope-From: {envelope.mail_from}\r\n"
        head += "".join(f"X-Envelope-To: {to}\r\n" for to in envelope.rcpt_tos)
        with open(name + ".tmp", "wb") as out:
            out.write(head.encode() + envelope.original_content)
        os.rename(name + ".tmp", name)
        return "250 2.0.0 kept"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--require-tls", action="store_true")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--delay-ms", type=int, default=0)
    parser.add_argument("--refuse", action="append", default=[])
    options = parser.parse_args()
    os.makedirs(options.dir, exist_ok=True)

    tls_context = None
    if options.tls_cert:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(options.tls_cert, options.tls_key)

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == options.user \
            and auth_data.password.decode() == options.password
        # handled=False: aiosmtpd answers 535 itself (True would leave the client waiting).
        return AuthResult(success=ok, handled=False)

    port = options.port
    if port == 0:
        import socket
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
    extra = {}
    if options.user:
        extra.update(authenticator=authenticate, auth_required=True, auth_require_tls=True)
    else:
        extra.update(auth_require_tls=False)
    controller = Controller(
        Keep(options.dir, options.delay_ms, options.refuse), hostname="127.0.0.1", port=port,
        tls_context=tls_context, require_starttls=options.require_tls, **extra)
    controller.start()
    if options.port_file:
        with open(options.port_file + ".tmp", "w") as out:
            out.write(str(port))
        os.rename(options.port_file + ".tmp", options.port_file)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
