// Steward's stand-in for a third-party tag (analytics, marketing pixel).
// It is served from this site, so the CSP stays 'self', and the server
// renders its <script> element only when the visitor's choice and the
// purpose gate allow it (R11, Z5). It sets the cookies the policy
// declares for its category and nothing else.
(function () {
  var s = document.currentScript;
  if (!s) { return; }
  var names = (s.dataset.cookies || "").split(" ");
  for (var i = 0; i < names.length; i++) {
    if (names[i]) {
      document.cookie = names[i] + "=" + Math.random().toString(36).slice(2) + "; path=/; max-age=7776000; samesite=lax";
    }
  }
  document.documentElement.setAttribute("data-tag-" + s.dataset.category, "loaded");
})();
