// Small enhancements where JavaScript runs; every page works without this file.
"use strict";

document.documentElement.classList.add("js");

// A button with data-copy="ID" copies the value of the field with that id.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  const status = document.getElementById(button.dataset.copyStatus);
  try {
    await navigator.clipboard.writeText(field.value);
    if (status) status.textContent = "Copied to the clipboard.";
  } catch {
    field.select();
    if (status) status.textContent = "Press Ctrl+C (or ⌘C) to copy.";
  }
});

// Links from when / was the roadmap (/#resource-..., /#part-..., /#topic-...) land on
// the home page: go on to the roadmap they pointed into, the first.
if (location.pathname === "/" && /^#(resource|part|topic)-/.test(location.hash)) {
  const roadmaps = document.querySelector("[data-roadmap]");
  if (roadmaps) location.replace(roadmaps.dataset.roadmap + location.hash);
}

// Sign-up takes the browser's time zone, so that a learner's days are their own (UTC
// without JavaScript; they can change it on their profile): a field of the sign-up form,
// and, for a sign-up through GitHub or Google, which leaves for the provider and comes
// back, a cookie of the account pages (accounts/adapters.py reads it).
let browserZone = "";
try {
  browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
} catch {
  // an old browser: UTC, said on the profile
}
for (const field of document.querySelectorAll('input[type="hidden"][name="time_zone"]')) {
  field.value = browserZone;
}
if (browserZone && location.pathname.startsWith("/accounts/")) {
  // (An IANA name is letters, digits and "/_+-": all a cookie's value may hold.)
  const secure = location.protocol === "https:" ? "; Secure" : "";
  document.cookie = `time_zone=${browserZone}; Path=/accounts/; Max-Age=3600; SameSite=Lax${secure}`;
}

// A link marked `in-place` (report a problem, suggest a resource) opens its page's form
// where the link is, through htmx; without JavaScript, or opened in a new tab, it is a
// link to that page. One listener for every row: a row carries a plain link (about 135
// bytes, where a GET form with its own htmx attributes took about 310: 88 KB less on a
// page of 500 resources, 738 KB before; the bench's ratios could not tell the two apart
// beyond their noise, 0.52 and 0.56 of /healthz, so the bytes are the measure).
document.addEventListener("click", (event) => {
  const link = event.target.closest("a.in-place");
  if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
    return;
  }
  event.preventDefault();
  // (From the page, not the link: a row's own htmx settings are for its tick.)
  htmx.ajax("GET", link.href, { target: link, swap: "outerHTML" });
});

// Escape in a form opened in place (a note, a report, a suggestion) is its Cancel: the
// form closes and the keyboard goes back to what opened it. Not once something is typed
// or chosen in it: that would be thrown away (Cancel, a click, still does that).
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const area = event.target.closest(".note-area, .curation-area");
  const cancel = area && area.querySelector('[hx-get$="close=1"]');
  if (!cancel || event.isComposing || edited(area.querySelector("form"))) return;
  event.preventDefault();
  cancel.click();
});

function edited(form) {
  return [...form.elements].some((field) => {
    if (field.type === "hidden") return false;
    if (field.type === "checkbox" || field.type === "radio") return field.checked !== field.defaultChecked;
    if (field.type === "select-one") {
      // (With no option marked selected, a browser shows the first: not a choice made.)
      return field.selectedIndex !== Math.max([...field.options].findLastIndex((o) => o.defaultSelected), 0);
    }
    if (field.tagName === "SELECT") return [...field.options].some((o) => o.selected !== o.defaultSelected);
    return "defaultValue" in field && field.value !== field.defaultValue;
  });
}

// A request that failed is said in the page's alert region, never over the control it
// came from: the site's own sentence (config/middleware.py, htmx_failures, names the
// region as where it goes), else one of ours (a gateway's page while the site restarts,
// no answer at all). A 429 htmx swaps where it says. Each request starts with it empty.
const pageAlert = () => document.getElementById("page-alert");
function say(sentence) {
  const alert = pageAlert();
  if (alert) alert.textContent = sentence;
}
// A tick that failed puts its row's controls back as the page was sent, which is what is
// saved, not as they were clicked (a request replaced by a newer one is no failure).
const putBack = (detail) => (detail.requestConfig?.elt ?? detail.elt)?.closest?.("form.resource-heading")?.reset();
document.addEventListener("htmx:beforeRequest", () => pageAlert()?.replaceChildren());
document.addEventListener("htmx:beforeSwap", (event) => {
  const detail = event.detail;
  if (detail.isError) putBack(detail);
  if (!detail.isError || detail.shouldSwap) return;
  if (detail.xhr.getResponseHeader("HX-Retarget") === "#page-alert") {
    detail.shouldSwap = true;
  } else {
    say(`The site did not answer as it should (error ${detail.xhr.status}). Reload the page to see what was saved.`);
  }
});
document.addEventListener("htmx:sendError", (event) => {
  putBack(event.detail);
  say("The site could not be reached, so this was not sent. Check your connection, then try again.");
});

// A page outlives the CSRF token it was sent with: logging in again (in another tab, as
// the alert of an ended session says to) gives the browser a new one. Each request takes
// the browser's token as it is now (Django's cookie, readable by design: "__Host-" in
// production), in the header and in a form's own field, which Django reads first.
document.addEventListener("htmx:configRequest", (event) => {
  const token = document.cookie.match(/(?:^|;\s*)(?:__Host-)?csrftoken=([^;]+)/)?.[1];
  if (!token) return;
  const detail = event.detail;
  if (detail.verb === "get") return;
  detail.headers["X-CSRFToken"] = token;
  if (detail.parameters.has("csrfmiddlewaretoken")) detail.parameters.set("csrfmiddlewaretoken", token);
});
