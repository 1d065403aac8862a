// "Copy code" for the badge's embed code (templates/council/_award.html), and the social media
// kit's words (templates/council/kit.html, which names its buttons in data-copy-label and what
// they say once done in data-copied): a button after the textarea that puts what it holds now
// on the clipboard and says so in a live region. Without JavaScript the text is there whole,
// to select and copy by hand.
for (const container of document.querySelectorAll('[data-module="marks-copy-code"]')) {
  const code = container.querySelector("textarea");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "govuk-button govuk-button--secondary";
  button.textContent = container.dataset.copyLabel || "Copy code";
  const status = document.createElement("p");
  status.className = "govuk-body";
  status.setAttribute("aria-live", "polite");
  container.append(button, status);

  button.addEventListener("click", async () => {
    status.textContent = "";
    try {
      await navigator.clipboard.writeText(code.value);
      status.textContent = container.dataset.copied || "Code copied";
    } catch {
      // No clipboard (an old browser, or permission refused): select it to copy by hand.
      code.focus();
      code.select();
      status.textContent = "The text is selected: copy it with your keyboard or menu";
    }
  });
}
