// Site search with the Pagefind bundle; no server. Results are built as DOM nodes, never as HTML strings,
// except Pagefind's own <mark> highlighting, which is rebuilt from plain text. The index comes in shards
// (data-shards): shard 0 with Pagefind's scripts at pagefind/, shard n at pagefind/n/, merged here.
(function () {
  "use strict";
  var script = document.currentScript;
  var bundle = new URL(script.getAttribute("data-bundle"), location.href).href;
  var base = script.getAttribute("data-base") || "/";
  var shards = parseInt(script.getAttribute("data-shards"), 10) || 1;
  var form = document.getElementById("search-form");
  var input = document.getElementById("q");
  var status = document.getElementById("search-status");
  var list = document.getElementById("results");
  var engine = null;
  var seq = 0;
  var timer = 0;

  function load() {
    if (!engine) {
      engine = import(bundle).then(function (pf) {
        return pf.options({ baseUrl: base }).then(function () {
          var merged = [];
          for (var n = 1; n < shards; n++) merged.push(pf.mergeIndex(new URL(n + "/", bundle).href, { baseUrl: base }));
          return Promise.all(merged);
        }).then(function () { return pf; });
      });
    }
    return engine;
  }

  function decode(text) {
    var box = document.createElement("textarea");
    box.innerHTML = text; // textarea content is never parsed as markup
    return box.value;
  }

  function excerpt(html) {
    var p = document.createElement("p");
    var marked = false;
    html.split(/(<mark>|<\/mark>)/).forEach(function (part) {
      if (part === "<mark>") { marked = true; return; }
      if (part === "</mark>") { marked = false; return; }
      if (!part) return;
      var text = document.createTextNode(decode(part.replace(/<[^>]*>/g, "")));
      if (marked) { var m = document.createElement("mark"); m.appendChild(text); p.appendChild(m); }
      else p.appendChild(text);
    });
    return p;
  }

  function show(query, total, items) {
    list.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      var h = document.createElement("h2");
      var a = document.createElement("a");
      a.href = item.url;
      a.textContent = (item.meta && item.meta.title) || item.url;
      h.appendChild(a);
      li.appendChild(h);
      li.appendChild(excerpt(item.excerpt || ""));
      list.appendChild(li);
    });
    status.textContent = total ? "找到 " + total + " 条与“" + query + "”相关的结果" : "没有找到与“" + query + "”相关的内容，换个词试试。";
  }

  function run(query) {
    var mine = ++seq;
    query = query.trim();
    if (!query) { list.textContent = ""; status.textContent = ""; return; }
    status.textContent = "正在搜索…";
    load().then(function (pf) { return pf.search(query); }).then(function (found) {
      if (mine !== seq) return null;
      return Promise.all(found.results.slice(0, 20).map(function (r) { return r.data(); })).then(function (items) {
        if (mine !== seq) return;
        show(query, found.results.length, items);
        history.replaceState(null, "", "?q=" + encodeURIComponent(query));
      });
    }).catch(function () {
      status.textContent = "搜索暂时不可用，请稍后再试。";
    });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { run(input.value); }, 250);
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); run(input.value); });
  var initial = new URLSearchParams(location.search).get("q");
  if (initial) { input.value = initial; run(initial); }
})();
