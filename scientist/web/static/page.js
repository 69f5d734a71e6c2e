// The page's behaviour: send the question, upload the photo, follow its job, move the slider.
// Every word shown comes from the server (the page's data-msg-* attributes and the HTML fragments).
"use strict";

(function () {
  const app = document.getElementById("app");
  const message = document.getElementById("message");
  const answer = document.getElementById("answer");
  const job = document.getElementById("job");
  const askForm = document.getElementById("ask-form");
  const askButton = document.getElementById("ask");
  const photo = document.getElementById("photo");
  const drop = document.getElementById("drop");
  const limit = Number(app.dataset.limitBytes);
  const POLL_MS = 700;
  const RETRIES = 5;  // polls that may fail in a row (a network blip) before the page says the server is gone
  let current = null;  // the job the panel follows: a later upload takes its place
  let lastFile = null;  // the photo last sent, for "Restore again" with another gain

  function say(text, isError) {
    message.textContent = text || "";
    message.hidden = !text;
    message.classList.toggle("error", Boolean(isError));
    if (text) show(message, "nearest");
  }

  // On a narrow screen what the person asked for may arrive below the fold: bring it into view.
  function show(element, block) {
    const box = element.getBoundingClientRect();
    if (box.top < 0 || box.top > window.innerHeight * 2 / 3) element.scrollIntoView({block: block || "start"});
  }

  // A message of the page's that names the photo: its {name} is the file's name as the person named it.
  function named(text, file) {
    return text.split("{name}").join(file.name);
  }

  // An error response holds {"detail": "one sentence"}.
  async function failure(response) {
    try {
      const body = await response.json();
      if (body && typeof body.detail === "string") return body.detail;
    } catch (_) { /* not JSON */ }
    return response.status + " " + response.statusText;
  }

  askForm.addEventListener("submit", async function (event) {
    event.preventDefault();
    askButton.disabled = true;
    say(app.dataset.msgAsking);
    try {
      const response = await fetch(askForm.action, {method: "POST", body: new URLSearchParams(new FormData(askForm))});
      if (!response.ok) {
        say(await failure(response), true);
        return;
      }
      answer.innerHTML = await response.text();
      say("");
      show(answer);
    } catch (_) {
      say(app.dataset.msgOffline, true);
    } finally {
      askButton.disabled = false;
    }
  });

  // Enter asks (as in a search box); Shift+Enter starts a new line.
  document.getElementById("question").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (!askButton.disabled) askForm.requestSubmit();
    }
  });

  // gain: the brightness gain to ask for; by default the page's own choice (a guess, or the photo's level)
  async function upload(file, gain) {
    if (!file) return;
    if (file.size > limit) {
      say(named(app.dataset.msgTooLarge, file), true);
      return;
    }
    lastFile = file;
    say(app.dataset.msgUploading);
    current = null;
    job.innerHTML = "";
    const body = new FormData();
    body.append("photo", file, file.name);
    body.append("gain", gain === undefined ? document.getElementById("gain").value : gain);
    try {
      const response = await fetch("/api/restore", {method: "POST", body: body});
      if (!response.ok) {
        // over the limit with the form's other fields: the server may refuse it before reading the photo's name
        say(response.status === 413 ? named(app.dataset.msgTooLarge, file) : await failure(response), true);
        return;
      }
      const status = await response.json();
      say("");
      current = status.id;
      follow(status.id, true, 0);
    } catch (_) {
      say(app.dataset.msgOffline, true);
    } finally {
      photo.value = "";
    }
  }

  // Fetch the job's fragment until it says done or failed (only the latest upload's job).
  async function follow(id, first, failed) {
    if (id !== current) return;
    try {
      const response = await fetch("/ui/jobs/" + encodeURIComponent(id));
      if (id !== current) return;
      if (!response.ok) {
        stopped();
        say(await failure(response), true);
        return;
      }
      job.innerHTML = await response.text();
      if (first) show(job);
      const panel = job.firstElementChild;
      const state = panel ? panel.dataset.state : "failed";
      job.setAttribute("aria-busy", String(state === "queued" || state === "running"));
      if (state === "queued" || state === "running") {
        setTimeout(function () { follow(id, false, 0); }, POLL_MS);
      } else if (state === "done") {
        fit(job.querySelector(".slider .frame"));
        zooms();
      }
    } catch (_) {
      if (id !== current) return;
      if (failed < RETRIES) {
        setTimeout(function () { follow(id, first, failed + 1); }, 2 * POLL_MS);
        return;
      }
      stopped();
      say(app.dataset.msgOffline, true);
    }
  }

  // The job is no longer followed: its progress bars stop, so that nothing looks as if it still moves.
  function stopped() {
    job.setAttribute("aria-busy", "false");
    job.querySelectorAll("progress").forEach(function (bar) { bar.remove(); });
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
  // "Restore again": the same photo with the gain the person typed (the input checks its range itself)
  job.addEventListener("submit", function (event) {
    const form = event.target;
    if (!form.matches || !form.matches("form.again")) return;
    event.preventDefault();
    if (form.reportValidity()) upload(lastFile, form.elements.gain.value);
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
})();
