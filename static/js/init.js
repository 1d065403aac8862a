// Starts GOV.UK Frontend's JavaScript. Load with:
//   <script type="module" src="/static/js/init.js"></script>
// Only browsers that support ES modules run a module script, which is GOV.UK
// Frontend's own "supported" test. Its usual inline snippet that sets these
// body classes is blocked by the Content-Security-Policy, so set them here.
import { initAll } from "./govuk-frontend.min.js";

// GOV.UK Frontend marks a radio that reveals questions aria-expanded, which ARIA does not
// allow on a radio (axe: aria-allowed-attr; govuk-frontend#979). The revealed questions
// follow the radio they belong to, so the attribute is taken off as soon as it is set.
new MutationObserver((changes) => {
  for (const { target } of changes) {
    if (target.type === "radio" && target.hasAttribute("aria-expanded")) {
      target.removeAttribute("aria-expanded");
    }
  }
}).observe(document.body, { subtree: true, attributeFilter: ["aria-expanded"] });

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
