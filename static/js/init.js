// Starts GOV.UK Frontend's JavaScript. Load with:
//   <script type="module" src="/static/js/init.js"></script>
// Only browsers that support ES modules run a module script, which is GOV.UK
// Frontend's own "supported" test. Its usual inline snippet that sets these
// body classes is blocked by the Content-Security-Policy, so set them here.
import { initAll } from "./govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
