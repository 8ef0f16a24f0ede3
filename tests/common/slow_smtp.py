"""A real SMTP server (aiosmtpd) that confirms each message only after DELAY seconds.

Usage: python3 slow_smtp.py PORT MAILDIR DELAY

Every message it receives is written to MAILDIR/<n>.eml before it answers, so a message the
client gave up on (and may send again) is still counted: that is what a late-answering real
server does. Used by the fault suite (tests/faults.rs)."""

import asyncio
import os
import sys
import time

from aiosmtpd.controller import Controller


class SlowHandler:
    def __init__(self, folder, delay):
        self.folder = folder
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        name = os.path.join(self.folder, f"{time.time_ns()}.eml")
        with open(name + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(name + ".tmp", name)
        await asyncio.sleep(self.delay)
        return "250 OK"


def main():
    port, folder, delay = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    os.makedirs(folder, exist_ok=True)
    controller = Controller(SlowHandler(folder, delay), hostname="127.0.0.1", port=port, ready_timeout=30)
    controller.start()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
