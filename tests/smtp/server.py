"""A real SMTP server for the mail tests: aiosmtpd, with STARTTLS required
before AUTH and AUTH required before MAIL, on a loopback port.

Usage: server.py CA_PEM_PATH USER PASSWORD

Writes the test certificate authority's certificate to CA_PEM_PATH (so the
client can trust it), prints `ready PORT` once listening, then one JSON line
per message accepted: the envelope, the raw message, and whether it came
over TLS and by whom. Recipients starting `refuse` are refused for good
(550); recipients starting `later` are refused for now (451).
"""

import asyncio
import json
import socket
import ssl
import sys

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refuse"):
            return "550 5.1.1 Mailbox unavailable"
        if address.startswith("later"):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        print(
            json.dumps(
                {
                    "from": envelope.mail_from,
                    "to": envelope.rcpt_tos,
                    "data": envelope.content.decode("utf-8", "replace"),
                    "tls": session.ssl is not None,
                    "user": session.authenticated and session.auth_data.login.decode(),
                }
            ),
            flush=True,
        )
        return "250 Message accepted"


def main():
    ca_path, user, password = sys.argv[1:4]
    ca = trustme.CA()
    ca.cert_pem.write_to_path(ca_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    # aiosmtpd connects to its own port to see it listening, so it needs a
    # port number, not 0: a free one, asked of the system.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    print(f"ready {port}", flush=True)
    try:
        asyncio.run(asyncio.Event().wait())
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
