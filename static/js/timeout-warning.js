// The time-out warning (templates/_timeout_warning.html), after GOV.UK's timeout warning
// pattern: a modal dialog before the session ends, with "Stay signed in". The server says how
// many seconds the session has left as the page loads; every page of the service sets that
// again, so the latest page (of any tab) says when the session ends, kept in localStorage.
// The server also says when the limit from signing in falls, which nothing extends: when that
// is the end coming, the dialog says so, with "Continue" in place of "Stay signed in".
const dialog = document.getElementById("timeout-warning");
const KEY = "marks.session-ends-at";

if (dialog && typeof dialog.showModal === "function") {
  const warnMs = Number(dialog.dataset.warnSeconds) * 1000;
  const limitAt = Date.now() + Number(dialog.dataset.limitSecondsLeft) * 1000;
  const states = {};
  for (const state of dialog.querySelectorAll("[data-timeout-state]")) {
    states[state.dataset.timeoutState] = state;
  }
  const form = states.warning.querySelector("form");
  let endsAt = Date.now() + Number(dialog.dataset.secondsLeft) * 1000;
  let shown = null;
  let returnFocus = null;
  let lastSpoken = null;
  let finalSeen = false;
  let over = false;

  const remember = () => {
    endsAt = Math.max(endsAt, Number(localStorage.getItem(KEY)) || 0);
    localStorage.setItem(KEY, String(endsAt));
  };

  // Within a second of the limit from signing in: "Stay signed in" cannot move the end.
  const atTheLimit = () => endsAt >= limitAt - 1000;

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

  // Shows one state of the dialog, named by its heading (and described by its message).
  const show = (name) => {
    if (shown === name && dialog.open) return;
    if (!dialog.open) {
      returnFocus = document.activeElement;
      dialog.showModal();
    }
    for (const [key, state] of Object.entries(states)) state.hidden = key !== name;
    dialog.setAttribute("aria-labelledby", `timeout-${name}-heading`);
    const message = document.getElementById(`timeout-${name}-message`);
    if (message) dialog.setAttribute("aria-describedby", message.id);
    else dialog.removeAttribute("aria-describedby");
    shown = name;
    lastSpoken = null;
    dialog.focus();
  };

  const close = () => {
    if (!dialog.open) return;
    dialog.close();
    shown = null;
    lastSpoken = null;
    if (returnFocus && typeof returnFocus.focus === "function") returnFocus.focus();
  };

  const countDown = (left) => {
    const state = states[shown];
    state.querySelector(".marks-timeout-warning__countdown").textContent = inWords(left);
    const words = `For your security, we will sign you out in ${spokenWords(left)}.`;
    if (words !== lastSpoken) {
      state.querySelector("[data-timeout-spoken]").textContent = words;
      lastSpoken = words;
    }
  };

  const signedOut = () => {
    over = true;
    const why = atTheLimit() ? "limit" : "idle";
    for (const reason of states.ended.querySelectorAll("[data-timeout-why]")) {
      reason.hidden = reason.dataset.timeoutWhy !== why;
    }
    show("ended");
  };

  const tick = () => {
    if (over) return;
    remember();
    const left = endsAt - Date.now();
    if (left <= 0) {
      signedOut();
    } else if (left > warnMs) {
      close(); // the session was kept going in another tab
    } else if (!atTheLimit()) {
      show("warning");
      countDown(left);
    } else if (!finalSeen) {
      show("final");
      countDown(left);
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
        tick(); // near the limit from signing in, the warning says so at once
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
  const dismiss = () => {
    if (shown === "final") finalSeen = true;
    close();
  };
  // Escape is "Stay signed in", as in the GOV.UK pattern; near the limit from signing in it is
  // "Continue"; once signed out, it closes.
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault();
    if (shown === "warning") staySignedIn();
    else dismiss();
  });
  for (const button of dialog.querySelectorAll("[data-timeout-close]")) {
    button.addEventListener("click", dismiss);
  }

  localStorage.setItem(KEY, String(endsAt)); // this page's answer is the newest
  tick();
  setInterval(tick, 1000);
}
