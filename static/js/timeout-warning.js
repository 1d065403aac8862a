// The time-out warning (templates/_timeout_warning.html), after GOV.UK's timeout warning
// pattern: a modal dialog before the session ends, with "Stay signed in". The server says how
// many seconds the session has left as the page loads; every page of the service sets that
// again, so the latest page (of any tab) says when the session ends, kept in localStorage.
const dialog = document.getElementById("timeout-warning");
const KEY = "marks.session-ends-at";

if (dialog && typeof dialog.showModal === "function") {
  const warnMs = Number(dialog.dataset.warnSeconds) * 1000;
  const warning = dialog.querySelector("[data-timeout-state=warning]");
  const ended = dialog.querySelector("[data-timeout-state=ended]");
  const countdown = dialog.querySelector(".marks-timeout-warning__countdown");
  const spoken = dialog.querySelector("[data-timeout-spoken]");
  const form = warning.querySelector("form");
  let endsAt = Date.now() + Number(dialog.dataset.secondsLeft) * 1000;
  let returnFocus = null;
  let lastSpoken = null;
  let over = false;

  const remember = () => {
    endsAt = Math.max(endsAt, Number(localStorage.getItem(KEY)) || 0);
    localStorage.setItem(KEY, String(endsAt));
  };

  const inWords = (ms) => {
    const seconds = Math.max(0, Math.ceil(ms / 1000));
    if (seconds >= 60) {
      const minutes = Math.ceil(seconds / 60);
      return `${minutes} minute${minutes === 1 ? "" : "s"}`;
    }
    return `${seconds} second${seconds === 1 ? "" : "s"}`;
  };

  // Said to screen readers at each whole minute, then every 20 seconds: not every second.
  const spokenWords = (ms) => {
    const seconds = Math.max(0, Math.ceil(ms / 1000));
    if (seconds >= 60) return inWords(ms);
    return inWords(Math.ceil(seconds / 20) * 20 * 1000);
  };

  const open = () => {
    if (dialog.open) return;
    returnFocus = document.activeElement;
    warning.hidden = false;
    ended.hidden = true;
    dialog.setAttribute("aria-labelledby", "timeout-warning-heading");
    dialog.setAttribute("aria-describedby", "timeout-warning-message");
    dialog.showModal();
    dialog.focus();
  };

  const close = () => {
    if (!dialog.open) return;
    dialog.close();
    lastSpoken = null;
    if (returnFocus && typeof returnFocus.focus === "function") returnFocus.focus();
  };

  const signedOut = () => {
    over = true;
    if (!dialog.open) {
      returnFocus = document.activeElement;
      dialog.showModal();
    }
    warning.hidden = true;
    ended.hidden = false;
    dialog.setAttribute("aria-labelledby", "timeout-ended-heading");
    dialog.removeAttribute("aria-describedby");
    dialog.focus();
  };

  const tick = () => {
    if (over) return;
    remember();
    const left = endsAt - Date.now();
    if (left <= 0) {
      signedOut();
    } else if (left <= warnMs) {
      open();
      countdown.textContent = inWords(left);
      const words = `For your security, we will sign you out in ${spokenWords(left)}.`;
      if (words !== lastSpoken) {
        spoken.textContent = words;
        lastSpoken = words;
      }
    } else {
      close(); // the session was kept going in another tab
    }
  };

  const staySignedIn = async () => {
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const answer = response.ok ? await response.json() : null;
      if (answer && typeof answer.seconds_left === "number") {
        endsAt = Date.now() + answer.seconds_left * 1000;
        localStorage.setItem(KEY, String(endsAt));
        close();
        return;
      }
    } catch (error) {
      // No answer: the session may have ended; say so rather than pretend.
    }
    signedOut();
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    staySignedIn();
  });
  // Escape is "Stay signed in", as in the GOV.UK pattern; once signed out, it closes.
  dialog.addEventListener("cancel", (event) => {
    if (!over) {
      event.preventDefault();
      staySignedIn();
    }
  });
  dialog.querySelector("[data-timeout-close]").addEventListener("click", () => {
    dialog.close();
    if (returnFocus && typeof returnFocus.focus === "function") returnFocus.focus();
  });

  localStorage.setItem(KEY, String(endsAt)); // this page's answer is the newest
  tick();
  setInterval(tick, 1000);
}
