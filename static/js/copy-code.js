// "Copy code" for the badge's embed code (templates/council/_award.html): a button after the
// read-only textarea that puts its code on the clipboard and says so in a live region. Without
// JavaScript the code is there whole, to select and copy by hand.
for (const container of document.querySelectorAll('[data-module="marks-copy-code"]')) {
  const code = container.querySelector("textarea");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "govuk-button govuk-button--secondary";
  button.textContent = "Copy code";
  const status = document.createElement("p");
  status.className = "govuk-body";
  status.setAttribute("aria-live", "polite");
  container.append(button, status);

  button.addEventListener("click", async () => {
    status.textContent = "";
    try {
      await navigator.clipboard.writeText(code.value);
      status.textContent = "Code copied";
    } catch {
      // No clipboard (an old browser, or permission refused): select it to copy by hand.
      code.focus();
      code.select();
      status.textContent = "The code is selected: copy it with your keyboard or menu";
    }
  });
}
