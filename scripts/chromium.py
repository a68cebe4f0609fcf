"""The browser the browser tests and the bench's phone section drive: Debian's Chromium
(`playwright install` cannot download one here), with the flags it runs headless with."""

import os

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
