"""make bench's last section: the roadmap as a learner on a phone sees it.

Chromium through Playwright, its CPU slowed CPU_SLOWDOWN times through the DevTools
protocol and its screen a phone's, signed in as one of the bench's learners, loads `/`
from the bench's server:

- DOMContentLoaded: the median over LOADS loads (after one to warm up) of the navigation
  entry's `domContentLoadedEventEnd`, counted from the start of the navigation; with the
  page's transferred size and its number of elements.
- A tick: from the click on a resource's checkbox to the last progress bar the tick
  changes holding its new value, measured inside the page by watching the bars in the
  DOM (every `<progress>` or `role="progressbar"`, by its accessible name): a bar has
  changed once its value or the text beside it differs from before the click, or it has
  been replaced. The median over CLICKS clicks on different resources, ticking and
  unticking in turn.

The page's content security policy forbids inline scripts; what is evaluated here goes
through the DevTools protocol, which the policy does not govern.
"""

from __future__ import annotations

import re
import statistics
import time
from pathlib import Path

from scripts.chromium import CHROMIUM, CHROMIUM_ARGS

CPU_SLOWDOWN = 4
VIEWPORT = {"width": 360, "height": 800}
LOADS = 5
CLICKS = 10
QUIET_MS = 300  # once the overall bar has changed, no bar changing for this long: done
DOMCONTENTLOADED_BUDGET_MS = 1500
TICK_BUDGET_MS = 100
LABEL = f"phone ({CPU_SLOWDOWN}x CPU)"

READ_LOAD = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  return {
    dcl: nav.domContentLoadedEventEnd,
    bytes: nav.transferSize || nav.encodedBodySize,
    elements: document.getElementsByTagName('*').length,
  };
}"""

# window.__phoneBench: arm() before a click, then settled(ms) until true, then result().
# Between the click and result() only the mutations' own nodes are looked at, so that
# watching costs the page little: a bar is any element the mutation added, changed or
# wrote text beside that is a <progress> or a progressbar, or holds or sits next to one.
INSTALL = """() => {
  const BAR = 'progress, [role="progressbar"]';
  const NEXT_TO_BAR = ':has(> progress, > [role="progressbar"])';
  const OWN_BARS = ':scope > progress, :scope > [role="progressbar"]';
  const name = (bar) => bar.getAttribute('aria-label') || bar.id || '';
  const value = (bar) => [bar.value, bar.getAttribute('aria-valuenow'),
    bar.getAttribute('aria-valuetext'), bar.parentElement ? bar.parentElement.textContent : ''
  ].join('|');
  const bench = {
    arm() {
      this.known = new Map();  // by accessible name: the bar's node and value
      for (const bar of document.querySelectorAll(BAR)) {
        this.known.set(name(bar), {node: bar, value: value(bar)});
      }
      this.changed = new Set();
      this.clickedAt = null;
      this.lastChangeAt = null;
      this.observer.observe(document, {
        subtree: true, childList: true, attributes: true, characterData: true,
      });
    },
    update(records) {
      if (this.clickedAt === null) return;
      const now = performance.now();
      const bars = new Set();
      const add = (bar) => { if (bar.isConnected) bars.add(bar); };
      for (const record of records) {
        for (const node of record.type === 'childList' ? record.addedNodes : []) {
          if (node.nodeType !== Node.ELEMENT_NODE) continue;
          if (node.matches(BAR)) add(node);
          for (const bar of node.querySelectorAll(BAR)) add(bar);
        }
        const target = record.target;
        const element = target.nodeType === Node.ELEMENT_NODE ? target : target.parentElement;
        if (!element || !element.isConnected) continue;
        if (element.matches(BAR)) add(element);
        const holder = element.closest(NEXT_TO_BAR);
        if (holder) for (const bar of holder.querySelectorAll(OWN_BARS)) add(bar);
      }
      for (const bar of bars) {
        const was = this.known.get(name(bar));
        const is = {node: bar, value: value(bar)};
        if (!was || was.node !== bar || was.value !== is.value) {
          this.known.set(name(bar), is);
          this.changed.add(name(bar));
          this.lastChangeAt = now;
        }
      }
    },
    settled(quiet) {
      return this.changed.has('Overall progress') && performance.now() - this.lastChangeAt >= quiet;
    },
    result() {
      this.observer.disconnect();
      return {ms: this.lastChangeAt - this.clickedAt, bars: [...this.changed]};
    },
  };
  bench.observer = new MutationObserver((records) => bench.update(records));
  document.addEventListener('click', () => {
    if (bench.known && bench.clickedAt === null) bench.clickedAt = performance.now();
  }, true);
  window.__phoneBench = bench;
}"""


def phone(base: str, cookie: str) -> bool:
    """Print the phone's figures against their budgets; whether both were met (not, if the
    section could not run). `cookie` is a signed-in learner's Cookie header."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        print(f"{LABEL}: did not run: Playwright is not installed")
        return False
    if not Path(CHROMIUM).exists():
        print(f"{LABEL}: did not run: no Chromium at {CHROMIUM}")
        return False
    try:
        with sync_playwright() as playwright:
            try:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            except Error as error:
                print(f"{LABEL}: did not run: Chromium did not start: {first_line(error)}")
                return False
            try:
                loads, ticks = measure(browser, base, cookie)
            finally:
                browser.close()
    except (Error, RuntimeError) as error:
        print(f"{LABEL}: failed: {first_line(error)}")
        return False

    dcl = statistics.median(load["dcl"] for load in loads)
    tick = statistics.median(t["ms"] for t in ticks)
    dcl_ok = dcl <= DOMCONTENTLOADED_BUDGET_MS
    tick_ok = tick <= TICK_BUDGET_MS
    last = loads[-1]
    print(
        f"{LABEL}: DOMContentLoaded {dcl:.0f} ms ({last['bytes'] / 1024:.0f} KB,"
        f" {last['elements']} elements) {verdict(dcl_ok, '<=', '>', DOMCONTENTLOADED_BUDGET_MS)};"
        f" tick to bars p50 {tick:.0f} ms {verdict(tick_ok, '<=', '>', TICK_BUDGET_MS)}"
    )
    each_load = ", ".join(f"{load['dcl']:.0f}" for load in loads)
    each_tick = ", ".join(f"{t['ms']:.0f}" for t in ticks)
    bars = "/".join(str(n) for n in sorted({len(t["bars"]) for t in ticks}))
    print(
        f"  {len(loads)} loads: {each_load} ms; {len(ticks)} ticks: {each_tick} ms,"
        f" {bars} bars changed by each",
        flush=True,
    )
    return dcl_ok and tick_ok


def measure(browser, base: str, cookie: str) -> tuple[list[dict], list[dict]]:
    """The loads' figures, and each click's."""
    major = browser.version.split(".")[0]
    context = browser.new_context(
        viewport=VIEWPORT,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        user_agent=(
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko)"
            f" Chrome/{major}.0.0.0 Mobile Safari/537.36"
        ),
    )
    context.add_cookies(
        [
            {"name": name, "value": value, "url": base}
            for name, _, value in (pair.strip().partition("=") for pair in cookie.split(";"))
        ]
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    cdp = context.new_cdp_session(page)

    def load() -> dict:
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        page.goto(f"{base}/roadmaps/deep-learning/", wait_until="load")
        return page.evaluate(READ_LOAD)

    load()  # to warm up: the server's rendering, the browser's cache of styles and scripts
    overall = page.get_by_role("progressbar", name="Overall progress", exact=True)
    if overall.count() != 1:
        raise RuntimeError("the roadmap page shows no overall progress bar: not signed in?")
    loads = [load() for _ in range(LOADS)]
    page.evaluate(INSTALL)
    return loads, [tick(page, box) for box in pick_boxes(page)]


def pick_boxes(page) -> list:
    """CLICKS resources' checkboxes, spread over the page, unticked and ticked in turn."""
    boxes = page.get_by_role("checkbox", name=re.compile(r"^Mark .+ as done$"))
    checked = boxes.evaluate_all("boxes => boxes.map((box) => box.checked)")
    if not checked:
        raise RuntimeError("no checkbox named 'Mark ... as done' on the roadmap page")
    todo = [n for n, done in enumerate(checked) if not done]
    done = [n for n, done in enumerate(checked) if done]
    half = -(-CLICKS // 2)
    if len(todo) < half or len(done) < half:
        raise RuntimeError(
            f"the learner has {len(done)} of {len(checked)} ticked: too few either way"
        )
    picks = []
    for n in range(CLICKS):
        side = todo if n % 2 == 0 else done
        picks.append(boxes.nth(side[(n // 2) * len(side) // half]))
    return picks


def tick(page, box) -> dict:
    """Click `box`; how long from the click to the last bar changed, and which changed."""
    box.scroll_into_view_if_needed()
    page.evaluate("() => window.__phoneBench.arm()")
    box.click()
    deadline = time.monotonic() + 15
    while not page.evaluate(f"() => window.__phoneBench.settled({QUIET_MS})"):
        if time.monotonic() > deadline:
            raise RuntimeError("a tick changed no overall progress bar within 15 s")
        time.sleep(0.05)
    return page.evaluate("() => window.__phoneBench.result()")


def verdict(ok: bool, within: str, beyond: str, budget: float) -> str:
    return f"{within} {budget} ok" if ok else f"{beyond} {budget} MISSED"


def first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
