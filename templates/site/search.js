// Site search over the site's own static index (search-index/, written by pipeline/channels/site/search.py);
// no server, nothing loaded from elsewhere. A query is cut into the same tokens as the pages were: Chinese
// character bigrams (so any run of two or more characters finds every page that contains it, as Ctrl-F would)
// and Latin words or numbers. Results are built as DOM nodes, never from HTML strings.
(function () {
  "use strict";
  var PAGE = 10; // results shown at a time; 「更多」 shows the next ones
  var TITLE = 1, NAME = 2; // posting flags, as search.py writes them
  var RUN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{2ffff}]+|[0-9a-z]+/gu; // search.py's _TOKEN_RUN
  var script = document.currentScript;
  var metaUrl = new URL(script.getAttribute("data-index"), location.href);
  var root = new URL(script.getAttribute("data-root") || "./", location.href);
  var form = document.getElementById("search-form");
  var input = document.getElementById("q");
  var status = document.getElementById("search-status");
  var list = document.getElementById("results");
  var more = document.getElementById("search-more");
  var empty = document.getElementById("search-empty");
  var meta = null;
  var files = {};
  var seq = 0;
  var timer = 0;
  var current = null; // {query, ids, shown, runs}

  function loadMeta() {
    if (!meta) {
      meta = fetch(metaUrl.href, { cache: "no-cache" }).then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.json();
      });
      meta.catch(function () { meta = null; });
    }
    return meta;
  }

  function get(m, path) {
    if (!files[path]) {
      files[path] = fetch(new URL(path + "?v=" + m.version, metaUrl).href).then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.json();
      });
      files[path].catch(function () { delete files[path]; });
    }
    return files[path];
  }

  function normalise(text) { return text.normalize("NFKC").toLowerCase(); }

  // The query's runs (Chinese or Latin) and its terms: {key, prefix}: a Chinese run's bigrams (or its one
  // character), Latin words; the last Latin word is matched as a prefix (it may still be being typed).
  function parse(query) {
    var runs = normalise(query).match(RUN) || [];
    var terms = [], seen = {};
    runs.forEach(function (run, i) {
      var add = function (key, prefix) {
        var id = key + (prefix ? "*" : "");
        if (!seen[id]) { seen[id] = true; terms.push({ key: key, prefix: prefix }); }
      };
      if (run[0] <= "z") { add(run, i === runs.length - 1); return; }
      var chars = Array.from(run);
      if (chars.length === 1) { add(run, false); return; }
      for (var j = 0; j + 1 < chars.length; j++) add(chars[j] + chars[j + 1], false);
    });
    return { runs: runs, terms: terms };
  }

  function shardOf(token, shards) { // search.py's token_shard
    var chars = Array.from(token), key = chars[0].codePointAt(0);
    if (chars.length === 2 && chars[0] > "z") key = (key * 40503 + chars[1].codePointAt(0)) % 2097152;
    return Math.floor(((key * 2654435761) % 4294967296) / 65536) % shards;
  }

  function decode(values, into) { // {document number: flags}; flags of several tokens are OR-ed
    var id = 0;
    for (var i = 0; i < values.length; i++) {
      id += Math.floor(values[i] / 4);
      into[id] = (into[id] || 0) | (values[i] % 4);
    }
    return into;
  }

  // Document numbers matching every term, best first: pages about the query (it is in the title, or in one of
  // the page's own place names: a route's stops, an event's venue), the archive's such pages after the others';
  // then the pages that only mention it. Among equals by document number (search.py numbers the current
  // guide, routes and upcoming events first, the archive last), so a route that stops at 九宫山 is not pushed
  // out of the first results by events that carry the name in their titles.
  function find(query) {
    var parsed = parse(query);
    if (!parsed.terms.length) return Promise.resolve({ ids: [], runs: parsed.runs });
    return loadMeta().then(function (m) {
      var wanted = {};
      parsed.terms.forEach(function (t) { wanted[shardOf(t.key, m.shards)] = true; });
      var numbers = Object.keys(wanted);
      return Promise.all(numbers.map(function (n) { return get(m, "p/" + n + ".json"); })).then(function (loaded) {
        var shard = {};
        numbers.forEach(function (n, i) { shard[n] = loaded[i]; });
        var found = null;
        parsed.terms.forEach(function (t) {
          var postings = shard[shardOf(t.key, m.shards)], hits = {};
          if (t.prefix) {
            for (var token in postings) if (token.lastIndexOf(t.key, 0) === 0) decode(postings[token], hits);
          } else if (Object.prototype.hasOwnProperty.call(postings, t.key)) {
            decode(postings[t.key], hits);
          }
          if (found === null) { found = hits; return; }
          var both = {};
          for (var id in found) if (id in hits) both[id] = found[id] & hits[id];
          found = both;
        });
        var ids = Object.keys(found).map(Number);
        var group = function (id) {
          var flags = found[id], past = id >= m.archive ? 1 : 0;
          return flags & (TITLE | NAME) ? past : 4;
        };
        ids.sort(function (a, b) { return group(a) - group(b) || a - b; });
        return { ids: ids, runs: parsed.runs };
      });
    });
  }

  // Ranges [start, end) of the text to highlight: the whole query where it occurs, else each of its runs.
  function matches(text, runs) {
    var lower = normalise(text);
    if (lower.length !== text.length) lower = text.toLowerCase(); // keep offsets those of the text
    var whole = runs.join(""), ranges = [];
    var needles = lower.indexOf(whole) >= 0 ? [whole] : runs;
    needles.forEach(function (needle) {
      if (!needle) return;
      for (var at = lower.indexOf(needle); at >= 0; at = lower.indexOf(needle, at + needle.length)) {
        ranges.push([at, at + needle.length]);
      }
    });
    ranges.sort(function (a, b) { return a[0] - b[0]; });
    return ranges.filter(function (r, i) { return i === 0 || r[0] >= ranges[i - 1][1]; });
  }

  function excerpt(text, runs) {
    var p = document.createElement("p");
    p.className = "excerpt";
    var ranges = matches(text, runs);
    var start = ranges.length ? Math.max(0, ranges[0][0] - 24) : 0;
    var end = Math.min(text.length, start + 96);
    if (start > 0) {
      var stop = text.slice(start, ranges[0][0]).search(/[。！？；]/); // begin at a sentence when one is near
      if (stop >= 0) start += stop + 1;
    }
    var at = start;
    if (start > 0) p.appendChild(document.createTextNode("…"));
    ranges.forEach(function (r) {
      if (r[0] < at || r[1] > end) return;
      p.appendChild(document.createTextNode(text.slice(at, r[0])));
      var mark = document.createElement("mark");
      mark.textContent = text.slice(r[0], r[1]);
      p.appendChild(mark);
      at = r[1];
    });
    p.appendChild(document.createTextNode(text.slice(at, end) + (end < text.length ? "…" : "")));
    return p;
  }

  function item(doc, runs) {
    var li = document.createElement("li");
    var h = document.createElement("h2");
    var a = document.createElement("a");
    a.setAttribute("href", new URL(doc.u, root).pathname);
    a.textContent = doc.t;
    h.appendChild(a);
    li.appendChild(h);
    li.appendChild(excerpt(doc.x, runs));
    return li;
  }

  // Show the next PAGE results of the current search; resolves once they are in the list.
  function showMore(mine) {
    var state = current;
    var ids = state.ids.slice(state.shown, state.shown + PAGE);
    return loadMeta().then(function (m) {
      return Promise.all(ids.map(function (id) { return get(m, "d/" + id + ".json"); }));
    }).then(function (docs) {
      if (mine !== seq) return;
      docs.forEach(function (doc) { list.appendChild(item(doc, state.runs)); });
      state.shown += docs.length;
      var left = state.ids.length - state.shown;
      more.hidden = left <= 0;
      more.textContent = "更多（还有 " + left + " 条）";
    });
  }

  function run(query) {
    var mine = ++seq;
    query = query.trim();
    list.textContent = "";
    more.hidden = true;
    empty.hidden = true;
    if (!query) { status.textContent = ""; current = null; return Promise.resolve(); }
    status.textContent = "正在搜索…";
    return find(query).then(function (found) {
      if (mine !== seq) return null;
      current = { query: query, ids: found.ids, shown: 0, runs: found.runs };
      history.replaceState(null, "", "?q=" + encodeURIComponent(query));
      if (!found.ids.length) {
        status.textContent = "没有找到与“" + query + "”相关的内容。";
        empty.hidden = false;
        return null;
      }
      status.textContent = "找到 " + found.ids.length + " 条与“" + query + "”相关的结果";
      return showMore(mine);
    }).catch(function () {
      if (mine === seq) status.textContent = "搜索暂时不可用，请稍后再试。";
    });
  }

  more.addEventListener("click", function () { if (current) showMore(seq); });
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { run(input.value); }, 250);
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); clearTimeout(timer); run(input.value); });
  // For tests and the page's own use: run a search, resolved once its first results are shown.
  window.xnwlSearch = function (query) { input.value = query; return run(query); };
  window.xnwlMore = function () { return current ? showMore(seq) : Promise.resolve(); };
  var initial = new URLSearchParams(location.search).get("q");
  if (initial) { input.value = initial; run(initial); }
})();
