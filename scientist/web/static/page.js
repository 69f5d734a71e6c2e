// The page's behaviour: send the question, upload the photo, follow its job, move the slider.
// Every word shown comes from the server (the page's data-msg-* attributes and the HTML fragments).
"use strict";

(function () {
  const app = document.getElementById("app");
  const message = document.getElementById("message");
  const status = document.getElementById("status");
  const answer = document.getElementById("answer");
  const job = document.getElementById("job");
  const askForm = document.getElementById("ask-form");
  const askButton = document.getElementById("ask");
  const photo = document.getElementById("photo");
  const drop = document.getElementById("drop");
  const limit = Number(app.dataset.limitBytes);
  const msg = app.dataset;
  const POLL_MS = 700;
  const RETRIES = 5;  // polls that may fail in a row (a network blip), 2 * POLL_MS apart, before the page says so
  // Then it asks ever more slowly, waiting at most this long after a failed poll (which may itself take ANSWER_MS): a
  // photo the page sends is cancelled when its page has not asked about it for page_poll_timeout_seconds (120 s at
  // least), which must not happen while the page is open.
  const SLOWEST_MS = 30000;
  const ANSWER_MS = 20000;  // a poll not answered by then has failed (its connection may have died with the Wi-Fi)
  const NO_ANSWER = [502, 503, 504];  // a proxy's answers while the server behind it does not answer (restarting)
  const KEPT = "scientist-job";  // this tab's job, kept for a reload (sessionStorage)
  // This page's own name, in its polls and as it leaves: a poll it sent just before it went may arrive after it
  // said so, and is not taken for the reload's (getRandomValues works on plain http too, unlike randomUUID).
  const PAGE = Array.from(crypto.getRandomValues(new Uint8Array(8)),
    function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  let current = null;  // the job the panel follows: a later upload takes its place
  let currentState = null;  // where that job stood at its last poll
  let lastFile = null;  // the photo last accepted, for "Restore again" with another gain
  let asking = false;
  let uploads = 0, latest = 0;  // photos sent so far; the one of them last accepted (a later choice wins)
  let news = "";  // the last short news of the job said in the status region

  // The page's one live region: short news only, each said once.
  function announce(text) {
    if (!text) return;
    if (status.textContent === text) {  // the same words again (a second question): said again
      status.textContent = "";
      setTimeout(function () { status.textContent = text; }, 100);
    } else {
      status.textContent = text;
    }
  }

  // A note or an error above the answer and the photo (shown, and said in the status region).
  function say(text, isError) {
    message.textContent = text || "";
    message.hidden = !text;
    message.classList.toggle("error", Boolean(isError));
    if (text) {
      announce(text);
      show(message, "nearest");
    }
  }

  // On a narrow screen what the person asked for may arrive below the fold: bring it into view.
  function show(element, block) {
    const box = element.getBoundingClientRect();
    if (box.top < 0 || box.top > window.innerHeight * 2 / 3) element.scrollIntoView({block: block || "start"});
  }

  // The heading of what has just arrived takes the focus (it is tabindex=-1), where it is in view.
  function focusHeading(container) {
    const heading = container.querySelector("h2[tabindex='-1']");
    if (heading) heading.focus({preventScroll: true});
  }

  // A message of the page's with its {name} (the photo's file name) or {n} filled in.
  function filled(text, value) {
    return text.split(text.includes("{name}") ? "{name}" : "{n}").join(value);
  }

  // An error response holds {"detail": "one sentence"}.
  async function failure(response) {
    try {
      const body = await response.json();
      if (body && typeof body.detail === "string") return body.detail;
    } catch (_) { /* not JSON */ }
    return response.status + " " + response.statusText;
  }

  function remember(id) {
    try {
      if (id) sessionStorage.setItem(KEPT, id); else sessionStorage.removeItem(KEPT);
    } catch (_) { /* storage turned off: a reload forgets the job */ }
  }

  function remembered() {
    try {
      const id = sessionStorage.getItem(KEPT);
      return /^[0-9a-f]{32}$/.test(id || "") ? id : null;
    } catch (_) {
      return null;
    }
  }

  // ------------------------------------------------------------ the question
  askForm.addEventListener("submit", async function (event) {
    event.preventDefault();
    if (asking) return;
    // the button stays enabled while the corpus is read (a disabled button loses the keyboard's focus)
    asking = true;
    askButton.setAttribute("aria-disabled", "true");
    say(msg.msgAsking);
    try {
      const response = await fetch(askForm.action, {method: "POST", body: new URLSearchParams(new FormData(askForm))});
      if (!response.ok) {
        say(await failure(response), true);
        return;
      }
      const html = await response.text();
      const active = document.activeElement;
      const moved = active === askButton || active === null || active === document.body || answer.contains(active);
      answer.innerHTML = html;
      say("");
      announce(msg.msgAnswered);
      if (moved) focusHeading(answer);  // asked with the button: on to the answer (typing goes on in the box)
      show(answer);
    } catch (_) {
      say(msg.msgOffline, true);
    } finally {
      asking = false;
      askButton.removeAttribute("aria-disabled");
    }
  });

  // Enter asks (as in a search box); Shift+Enter starts a new line.
  document.getElementById("question").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (!asking) askForm.requestSubmit();
    }
  });

  // ------------------------------------------------------------ the photo
  // gain: the brightness gain to ask for; by default the page's own choice (a guess, or the photo's level).
  // The result on the panel stays until the server has accepted the new photo: a photo it refuses costs nothing.
  async function upload(file, gain) {
    if (!file) return;
    if (file.size > limit) {
      say(filled(msg.msgTooLarge, file.name), true);
      return;
    }
    const sent = ++uploads;
    say(msg.msgUploading);
    const body = new FormData();
    body.append("photo", file, file.name);
    body.append("gain", gain === undefined ? document.getElementById("gain").value : gain);
    body.append("watched", "true");  // followed by this page: cancelled once the page is gone (see "pagehide")
    try {
      const response = await fetch("/api/restore", {method: "POST", body: body});
      if (!response.ok) {
        // over the limit with the form's other fields: the server may refuse it before reading the photo's name
        say(response.status === 413 ? filled(msg.msgTooLarge, file.name) : await failure(response), true);
        return;
      }
      const accepted = await response.json();
      if (sent < latest) {  // a photo chosen after this one was accepted first: this one is not wanted
        cancel(accepted.id);
        return;
      }
      latest = sent;
      say("");
      lastFile = file;
      const previous = current, unfinished = currentState === null || busy(currentState);
      follow(accepted.id, false);
      // the photo before it is no longer wanted: it leaves the queue, or stops at its next tile
      if (previous && previous !== accepted.id && unfinished) cancel(previous);
    } catch (_) {
      say(msg.msgOffline, true);
    } finally {
      photo.value = "";
    }
  }

  function busy(state) {
    return state === "queued" || state === "running";
  }

  function cancel(id) {
    fetch("/api/jobs/" + encodeURIComponent(id), {method: "DELETE"}).catch(function () { /* gone already */ });
  }

  // Follow a job: its panel, and its id kept for a reload. resumed: after a reload, where a job that has expired
  // is forgotten without a word.
  function follow(id, resumed) {
    current = id;
    currentState = null;
    news = "";
    remember(id);
    poll(id, true, 0, resumed);
  }

  // Fetch the job's fragment until it says done or failed (only the latest upload's job). failed: the polls that have
  // failed in a row. Past RETRIES the person has been told, once, that the server does not answer, and the page goes
  // on asking ever more slowly; when the server answers again, the panel shows the job as it now stands.
  async function poll(id, first, failed, resumed) {
    if (id !== current) return;
    const lost = failed > RETRIES;
    const control = new AbortController(), timer = setTimeout(function () { control.abort(); }, ANSWER_MS);
    try {
      const response = await fetch("/ui/jobs/" + encodeURIComponent(id) + "?page=" + PAGE, {signal: control.signal});
      if (id !== current) return;
      if (NO_ANSWER.includes(response.status)) throw new Error(response.statusText);
      if (!response.ok) {
        const text = await failure(response);
        if (id !== current) return;
        stopped();
        if (response.status === 404 && (resumed || lost)) {
          // expired, or the server was restarted: after a reload forgotten without a word, after an outage said so
          forget();
          if (lost) say(msg.msgGone, true);
        } else {
          say(text, true);
        }
        return;
      }
      const html = await response.text();
      if (id !== current) return;
      if (lost && message.textContent === msg.msgLost) say("");  // back: the panel's news says how the photo stands
      const state = render(html);
      if (first || lost) show(job);
      if (busy(state)) {
        setTimeout(function () { poll(id, false, 0, false); }, POLL_MS);
      }
    } catch (_) {
      if (id !== current) return;
      if (failed === RETRIES) lose();
      const wait = failed < RETRIES ? 2 * POLL_MS : Math.min(SLOWEST_MS, 2 * POLL_MS * 2 ** (failed - RETRIES + 1));
      setTimeout(function () { poll(id, first, failed + 1, resumed); }, wait);
    } finally {
      clearTimeout(timer);
    }
  }

  // The server has not answered the quick retries: the person is told, once, and the panel no longer shows a place in
  // the queue or seconds to go that nobody can vouch for. Where the job stands is not known until the server answers
  // (its news is then said again, as new).
  function lose() {
    withdraw();
    currentState = null;
    news = "";
    say(msg.msgLost, true);
  }

  function forget() {
    current = currentState = null;
    remember(null);
  }

  // Put the job's fragment on the page, changing only what changed: the same words stay the same nodes (nothing is
  // read again, nothing loses the focus). The focus, when it was in what is replaced, goes to the new heading.
  function render(html) {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    const next = template.content.firstElementChild;
    if (!next) return null;
    const prev = job.firstElementChild;
    const focused = prev !== null && prev.contains(document.activeElement);
    if (prev && prev.dataset.id === next.dataset.id) {
      patch(prev, next);
    } else {
      job.replaceChildren(next);
    }
    const panel = job.firstElementChild, state = panel.dataset.state;
    if (focused && !panel.contains(document.activeElement)) focusHeading(panel);
    if (state !== currentState) {
      job.setAttribute("aria-busy", String(busy(state)));
      if (state === "done") {
        fit(panel.querySelector(".slider .frame"));
        zooms();
      }
    }
    currentState = state;
    const said = newsOf(panel);
    if (said !== news) {
      news = said;
      announce(said);
    }
    return state;
  }

  function patch(prev, next) {
    for (const name of prev.getAttributeNames()) {
      if (!next.hasAttribute(name)) prev.removeAttribute(name);
    }
    for (const name of next.getAttributeNames()) {
      if (prev.getAttribute(name) !== next.getAttribute(name)) prev.setAttribute(name, next.getAttribute(name));
    }
    const old = [...prev.children], fresh = [...next.children];
    fresh.forEach(function (node, i) {
      const was = old[i];
      if (!was) {
        prev.append(node);
      } else if (!was.isEqualNode(node)) {
        if (was.tagName === "PROGRESS" && node.tagName === "PROGRESS") {
          ["max", "value"].forEach(function (name) {
            if (node.hasAttribute(name)) was.setAttribute(name, node.getAttribute(name));
            else was.removeAttribute(name);
          });
        } else {
          was.replaceWith(node);
        }
      }
    });
    old.slice(fresh.length).forEach(function (node) { node.remove(); });
  }

  // The job's news in a few words: its place in the queue, started, each quarter done, restored, failed.
  function newsOf(panel) {
    const state = panel.dataset.state;
    if (state === "queued") return filled(msg.msgQueued, panel.dataset.position || "1");
    if (state === "running") {
      const done = Number(panel.dataset.done), total = Number(panel.dataset.total);
      const quarter = total > 0 ? Math.floor(4 * done / total) * 25 : 0;
      return quarter > 0 && quarter < 100 ? filled(msg.msgPercent, String(quarter)) : msg.msgStarted;
    }
    if (state === "done") return msg.msgDone;
    const error = panel.querySelector(".error");
    return error ? error.textContent.trim() : "";
  }

  // The panel can no longer say how the job stands (the server does not answer, or the job is no longer followed):
  // a panel still waiting or running is taken away, so that nothing on the page looks as if it still moved or still
  // had seconds to go.
  function withdraw() {
    job.setAttribute("aria-busy", "false");
    const panel = job.firstElementChild;
    if (panel && busy(panel.dataset.state)) job.replaceChildren();
    job.querySelectorAll("progress").forEach(function (bar) { bar.remove(); });
  }

  // The job is no longer followed (the server refused to say how it stands).
  function stopped() {
    withdraw();
    current = null;
  }

  // Keep the whole picture on screen: a tall photo gets a narrower frame.
  function fit(frame) {
    if (!frame) return;
    const w = Number(frame.dataset.w), h = Number(frame.dataset.h);
    if (w > 0 && h > 0) {
      frame.style.maxWidth = Math.max(160, Math.round(window.innerHeight * 0.8 * w / h)) + "px";
    }
  }

  // The crops take the width the screen gives them: their captions say how much they are enlarged as shown.
  function zooms() {
    job.querySelectorAll(".crop").forEach(function (crop) {
      const zoom = crop.querySelector(".zoom"), shown = crop.querySelector("svg").getBoundingClientRect().width;
      if (zoom && shown > 0) zoom.textContent = (shown / Number(zoom.dataset.size)).toFixed(1);
    });
  }
  // a phone turned, a window resized: the picture is fitted to the screen as it is now
  window.addEventListener("resize", function () {
    fit(job.querySelector(".slider .frame"));
    zooms();
  });

  photo.addEventListener("change", function () { upload(photo.files[0]); });
  // "Restore again": the photo last accepted, with the gain the person typed (the input checks its range itself)
  job.addEventListener("submit", function (event) {
    const form = event.target;
    if (!form.matches || !form.matches("form.again")) return;
    event.preventDefault();
    if (!form.reportValidity()) return;
    if (lastFile) upload(lastFile, form.elements.gain.value);
    else say(msg.msgAgainLost, true);  // reloaded: the photo itself is not kept by the page
  });
  ["dragenter", "dragover"].forEach(function (name) {
    drop.addEventListener(name, function (event) {
      event.preventDefault();
      drop.classList.add("over");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    drop.addEventListener(name, function () { drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) upload(event.dataTransfer.files[0]);
  });
  // A photo dropped a little beside the drop zone would make the browser leave the page to show it.
  ["dragover", "drop"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      if (!drop.contains(event.target) && event.dataTransfer && [...event.dataTransfer.types].includes("Files")) {
        event.preventDefault();
        if (name === "dragover") event.dataTransfer.dropEffect = "none";
      }
    });
  });

  // The slider: the range input lies over the picture; its value is where the line is.
  document.addEventListener("input", function (event) {
    const input = event.target;
    if (input.matches && input.matches(".slider input[type=range]")) {
      input.closest(".frame").style.setProperty("--pos", input.value + "%");
    }
  });

  // The page is going for good (closed, another page opened in its place, or a reload): the server is told, and
  // cancels the photo unless a page asks for it again within a few seconds, as a reload does. A page kept in the
  // browser's back-forward cache (persisted) may come back as it was, still polling: nothing is said.
  window.addEventListener("pagehide", function (event) {
    if (event.persisted || !current || !(currentState === null || busy(currentState))) return;
    const url = "/api/jobs/" + encodeURIComponent(current) + "/leave?page=" + PAGE;
    if (!(navigator.sendBeacon && navigator.sendBeacon(url))) {
      fetch(url, {method: "POST", keepalive: true}).catch(function () { /* the page is going */ });
    }
  });

  // A reload while a photo is restored (or after): the tab's job is followed again.
  const kept = remembered();
  if (kept) follow(kept, true);
})();
