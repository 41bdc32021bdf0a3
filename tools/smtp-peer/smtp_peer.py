#!/usr/bin/env python3
"""A real SMTP server for Strata's tests: aiosmtpd storing into a Maildir.

  smtp_peer.py --port 2525 --maildir DIR [--tls starttls|implicit|none] [--cert C --key K]
               [--auth USER:PASSWORD] [--only-login] [--fail-first N] [--reject-rcpt ADDR] [--log FILE]
               [--fail-mail N] [--fail-rcpt N] [--greet-421 N]

--tls starttls: plain port that offers STARTTLS (and, with --auth, AUTH only after it).
--tls implicit: TLS from the first byte (port 465 style).
--fail-first N: answer 451 to the first N DATA commands (tests retries).
--fail-mail N / --fail-rcpt N: answer 451 to the first N MAIL FROM / 452 to the first N RCPT TO.
--greet-421 N: greet the first N connections with 421 (service not available) and close them.
--log: one JSON line per event (auth, delivery, refusal).
Prints "ready <port>" on stdout once it listens; stops on SIGTERM.
"""
import argparse, asyncio, json, mailbox, os, signal, ssl, sys, threading, time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--maildir", required=True)
    ap.add_argument("--tls", choices=["starttls", "implicit", "none"], default="none")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--auth")
    ap.add_argument("--fail-first", type=int, default=0)
    ap.add_argument("--only-login", action="store_true", help="offer AUTH LOGIN only, not PLAIN")
    ap.add_argument("--reject-rcpt", action="append", default=[], help="answer 550 to RCPT TO this address")
    ap.add_argument("--fail-mail", type=int, default=0)
    ap.add_argument("--fail-rcpt", type=int, default=0)
    ap.add_argument("--greet-421", type=int, default=0)
    ap.add_argument("--log")
    a = ap.parse_args()

    lock = threading.Lock()
    state = {"failed": 0, "mail": 0, "rcpt": 0, "greeted": 0}

    def first(key, limit):
        """True for the first `limit` calls per key: the refusals a test asked for."""
        with lock:
            if state[key] < limit:
                state[key] += 1
                return True
            return False

    def log(**kw):
        if not a.log:
            return
        kw["t"] = time.time()
        with lock, open(a.log, "a") as f:
            f.write(json.dumps(kw) + "\n")

    box = mailbox.Maildir(a.maildir, create=True)

    class Handler:
        async def handle_MAIL(self, server, session, envelope, address, mail_options):
            if first("mail", a.fail_mail):
                log(event="refused", code=451, at="MAIL")
                return "451 4.3.2 Try MAIL again later (test peer)"
            envelope.mail_from = address
            envelope.mail_options.extend(mail_options)
            return "250 OK"

        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if first("rcpt", a.fail_rcpt):
                log(event="refused", code=452, at="RCPT", rcpt=[address])
                return "452 4.2.2 Mailbox full, try later (test peer)"
            if address in a.reject_rcpt:
                log(event="refused", code=550, rcpt=[address])
                return "550 5.1.1 No such user (test peer)"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            with lock:
                if state["failed"] < a.fail_first:
                    state["failed"] += 1
                    n = state["failed"]
                else:
                    n = 0
            if n:
                log(event="refused", code=451, attempt=n, rcpt=envelope.rcpt_tos)
                return "451 4.3.0 Try again later (test peer)"
            with lock:
                box.add(envelope.original_content)
            log(event="delivered", mail_from=envelope.mail_from, rcpt=envelope.rcpt_tos,
                tls=session.ssl is not None, user=getattr(session, "login_data", None) and a.auth.split(":")[0])
            return "250 2.0.0 OK queued"

    def authenticator(server, session, envelope, mechanism, auth_data):
        user, _, password = (a.auth or ":").partition(":")
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
        log(event="auth", mechanism=mechanism, ok=ok, tls=session.ssl is not None)
        # handled=False: aiosmtpd then answers 535 itself (with the default it answers nothing).
        return AuthResult(success=ok, handled=False)

    kwargs = {}
    context = None
    if a.tls != "none":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(a.cert, a.key)
    if a.tls == "starttls":
        kwargs.update(tls_context=context, require_starttls=True)
    if a.auth:
        kwargs.update(authenticator=authenticator, auth_required=True)
        if a.only_login:
            kwargs.update(auth_exclude_mechanism=["PLAIN"])
        # aiosmtpd bug #274: with implicit TLS it does not see the connection as encrypted.
        kwargs.update(auth_require_tls=a.tls == "starttls")
    class BusySMTP(SMTP):
        """Greets the first --greet-421 connections with 421 and hangs up (RFC 5321 3.1)."""
        async def _handle_client(self):
            if state.get("ready") and first("greeted", a.greet_421):
                log(event="refused", code=421, at="greeting")
                await self.push("421 4.3.2 Service not available, try later (test peer)")
                self.transport.close()
                return
            await super()._handle_client()

    class BusyController(Controller):
        def factory(self):
            return BusySMTP(self.handler, **self.SMTP_kwargs)

    controller = BusyController(Handler(), hostname=a.host, port=a.port,
                            ssl_context=context if a.tls == "implicit" else None,
                            server_hostname="localhost", ready_timeout=10, **kwargs)
    controller.start()
    # start() connects once to see the server is up: that is not a client to greet with 421.
    state["ready"] = True
    print(f"ready {a.port}", flush=True)
    stop = threading.Event()
    # A parent may have started us with signals blocked: unblock the ones we stop on.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(0.2):
        pass
    controller.stop()


if __name__ == "__main__":
    main()
