// clusterkg query page: a small SPARQL highlighter drawn under the textarea (our own code, no
// dependency). The form works without it; the page talks to no other server.
(function () {
  "use strict";
  var area = document.getElementById("query");
  var code = document.getElementById("highlight");
  if (!area || !code) return;
  var KEYWORDS = "SELECT|ASK|CONSTRUCT|DESCRIBE|WHERE|PREFIX|BASE|FROM|NAMED|GRAPH|OPTIONAL|UNION|MINUS|FILTER|BIND|VALUES|AS|" +
    "DISTINCT|REDUCED|ORDER|BY|ASC|DESC|LIMIT|OFFSET|GROUP|HAVING|COUNT|SUM|MIN|MAX|AVG|SAMPLE|GROUP_CONCAT|SEPARATOR|" +
    "NOT|EXISTS|IN|SERVICE|SILENT|a|true|false|STR|LANG|LANGMATCHES|DATATYPE|BOUND|IF|COALESCE|REGEX|CONTAINS|STRSTARTS|" +
    "STRENDS|LCASE|UCASE|ISIRI|ISURI|ISLITERAL|ISBLANK|YEAR|ROUND|ABS|CONCAT|STRLEN|SUBSTR|REPLACE";
  var TOKEN = new RegExp([
    "(#[^\\n]*)",                                   // 1 comment
    "(\"\"\"[\\s\\S]*?\"\"\"|\"(?:[^\"\\\\\\n]|\\\\.)*\"|'(?:[^'\\\\\\n]|\\\\.)*')", // 2 string
    "(<[^<>\"{}|^`\\\\\\s]*>)",                      // 3 IRI
    "([?$][A-Za-z0-9_]+)",                          // 4 variable
    "(\\b(?:" + KEYWORDS + ")\\b)",                 // 5 keyword
    "([A-Za-z][\\w.-]*:[\\w.-]*|:[\\w.-]+)",        // 6 prefixed name
    "(-?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?)"        // 7 number
  ].join("|"), "gi");
  var CLASSES = [null, "c", "s", "i", "v", "k", "p", "n"];
  function escapeHtml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  function paint() {
    var text = area.value, out = "", last = 0, match;
    TOKEN.lastIndex = 0;
    while ((match = TOKEN.exec(text)) !== null) {
      if (match[0] === "") { TOKEN.lastIndex++; continue; }
      out += escapeHtml(text.slice(last, match.index));
      for (var g = 1; g < CLASSES.length; g++) {
        if (match[g] !== undefined) { out += '<span class="' + CLASSES[g] + '">' + escapeHtml(match[0]) + "</span>"; break; }
      }
      last = TOKEN.lastIndex;
    }
    code.innerHTML = out + escapeHtml(text.slice(last)) + "\n";
  }
  function sync() { code.parentNode.scrollTop = area.scrollTop; code.parentNode.scrollLeft = area.scrollLeft; }
  area.addEventListener("input", paint);
  area.addEventListener("scroll", sync);
  area.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); area.form.submit(); }
  });
  document.documentElement.classList.add("js");
  paint();
})();
