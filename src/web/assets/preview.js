/* global window, document, fetch, URLSearchParams, setTimeout, clearTimeout */
// Live preview on the subscribe page: as the query is typed (or a topic picked), ask the server
// what it would have matched and show it; also fills the time zone from the browser. Everything
// from the server is put in as text, never as HTML. Without this script the form's "Preview
// matches" button does the same through the server.
(function () {
  'use strict';
  var form = document.getElementById('subscribe');
  var out = document.getElementById('preview');
  if (!form || !out || !window.fetch) return;
  var base = form.getAttribute('action').replace(/\/$/, '');
  var zone = document.getElementById('timezone');
  try {
    var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && tz && (zone.value === '' || zone.value === 'UTC') && !form.dataset.keepZone) zone.value = tz;
  } catch { /* keep UTC */ }

  var query = document.getElementById('query');
  var rule = document.getElementById('rule');
  var timer = 0;
  var seq = 0;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function marked(text, ranges) {
    var frag = document.createDocumentFragment();
    var at = 0;
    (ranges || []).slice().sort(function (a, b) { return a.start - b.start; }).forEach(function (r) {
      if (r.start < at) return;
      frag.appendChild(document.createTextNode(text.slice(at, r.start)));
      frag.appendChild(el('mark', '', text.slice(r.start, r.end)));
      at = r.end;
    });
    frag.appendChild(document.createTextNode(text.slice(at)));
    return frag;
  }
  function show(q, data) {
    out.textContent = '';
    out.appendChild(el('h2', '', 'Recent matches'));
    if (!data.ok) {
      var box = el('div', 'problem');
      box.id = 'query-problem';
      var p = el('p');
      p.appendChild(el('strong', '', 'Your query does not work yet: '));
      p.appendChild(document.createTextNode(data.problem.message));
      box.appendChild(p);
      var width = Math.max(1, Math.min(data.problem.length, Math.max(1, q.length - data.problem.offset)));
      box.appendChild(el('pre', 'caret', q + '\n' + ' '.repeat(data.problem.offset) + '^'.repeat(width)));
      if (data.problem.hint) box.appendChild(el('p', '', 'Hint: ' + data.problem.hint));
      out.appendChild(box);
      return;
    }
    if (data.total === 0) {
      out.appendChild(el('p', '', 'No match among the ' + data.searched + ' articles of the last days. Alerts come for new stories as they appear.'));
      return;
    }
    var more = data.total > data.matches.length ? '; the newest ' + data.matches.length + ':' : ':';
    out.appendChild(el('p', '', data.total + ' of the ' + data.searched + ' articles of the last days match' + more));
    var list = el('ol', 'matches');
    data.matches.forEach(function (m) {
      var li = el('li');
      var title = el('p', 'title');
      var target = title;
      if (m.url && /^https?:/i.test(m.url)) {
        target = el('a');
        target.href = m.url;
        target.rel = 'noopener noreferrer';
        title.appendChild(target);
      }
      target.appendChild(marked(m.title, m.titleHighlights));
      li.appendChild(title);
      if (m.snippet && m.snippet.text) {
        var s = el('p', 'snippet');
        s.appendChild(marked(m.snippet.text, m.snippet.highlights));
        li.appendChild(s);
      }
      li.appendChild(el('p', 'meta', [m.feed, m.published ? m.published.slice(0, 10) : ''].filter(Boolean).join(' · ')));
      list.appendChild(li);
    });
    out.appendChild(list);
  }
  function run() {
    var q = query ? query.value : '';
    var r = rule ? rule.value : '';
    if (!r && q.trim() === '') { out.textContent = ''; return; }
    var mine = ++seq;
    var params = new URLSearchParams(r ? { rule: r } : { query: q });
    fetch(base + '/preview?' + params.toString(), { headers: { accept: 'application/json' } })
      .then(function (res) { return res.ok || res.status === 422 ? res.json() : null; })
      .then(function (data) { if (data && mine === seq) show(q, data); })
      .catch(function () { /* the button still works */ });
  }
  function later() {
    clearTimeout(timer);
    timer = setTimeout(run, 300);
  }
  if (query) query.addEventListener('input', later);
  if (rule) rule.addEventListener('change', run);
})();
