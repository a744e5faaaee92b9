// 政策图谱 front end: small, no framework; data comes from JSON in data-* attributes
// (CSP allows no inline script), charts and graphs from the vendored ECharts.
(function () {
  "use strict";
  var COLORS = { national: "#b3261e", provincial: "#2f5fa7", municipal: "#1b7f3b", county: "#7a4bb3" };

  document.querySelectorAll("[data-expand]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var root = document.getElementById(btn.getAttribute("data-expand"));
      var details = root ? root.querySelectorAll("details") : [];
      var open = btn.getAttribute("aria-pressed") !== "true";
      details.forEach(function (d) { d.open = open; });
      btn.setAttribute("aria-pressed", open ? "true" : "false");
      btn.textContent = open ? "全部收起" : "全部展开";
    });
  });

  // Filter boxes: <input data-filter-rows="SELECTOR"> hides the rows (SELECTOR) whose text
  // lacks what is typed; a [data-filter-group] with no row left is hidden too, and the
  // element named by data-filter-empty shows when nothing is left at all.
  document.querySelectorAll("input[data-filter-rows]").forEach(function (box) {
    var rows = document.querySelectorAll(box.getAttribute("data-filter-rows"));
    var empty = document.getElementById(box.getAttribute("data-filter-empty") || "");
    box.addEventListener("input", function () {
      var q = box.value.trim();
      var shown = 0;
      rows.forEach(function (row) {
        var hit = !q || row.textContent.indexOf(q) >= 0;
        row.hidden = !hit;
        if (hit) { shown += 1; }
        // a task found inside a folded list is shown, not left folded away
        row.querySelectorAll("details").forEach(function (d) { d.open = !!q && hit; });
      });
      document.querySelectorAll("[data-filter-group]").forEach(function (grp) {
        grp.hidden = grp.querySelectorAll(box.getAttribute("data-filter-rows")).length > 0 &&
          Array.prototype.every.call(grp.querySelectorAll(box.getAttribute("data-filter-rows")),
                                     function (r) { return r.hidden; });
      });
      if (empty) { empty.hidden = shown > 0; }
    });
  });

  // "复制引用": the citation an official writes, to the clipboard.
  document.querySelectorAll("button[data-copy]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var text = btn.getAttribute("data-copy");
      var done = function () { btn.textContent = "已复制"; btn.setAttribute("data-copied", "true"); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () { fallback(text); done(); });
      } else { fallback(text); done(); }
    });
  });
  function fallback(text) {
    var area = document.createElement("textarea");
    area.value = text; area.setAttribute("readonly", ""); area.style.position = "fixed"; area.style.opacity = "0";
    document.body.appendChild(area); area.select();
    try { document.execCommand("copy"); } catch (e) { /* the text stays selectable on the page */ }
    document.body.removeChild(area);
  }

  function whenEcharts(fn) {
    if (window.echarts) { fn(); return; }
    window.addEventListener("load", function () { if (window.echarts) { fn(); } });
  }

  whenEcharts(function () {
    document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
      // Rows come ready from the server (web.reading.chart_rows): each bar's name, value
      // and `display`, the target as the plan states it (≥55 %), used for labels and tooltips.
      var rows = JSON.parse(el.getAttribute("data-chart"));
      var chart = echarts.init(el);
      chart.setOption({
        tooltip: { trigger: "item", formatter: function (p) {
          var r = rows[p.dataIndex];
          return [r.title || r.name, "目标：" + r.display + (r.year ? "（" + r.year + "年）" : "")]
            .map(function (s) { return echarts.format.encodeHTML(s); }).join("<br>");
        } },
        grid: { left: 50, right: 20, top: 30, bottom: 70, containLabel: true },
        xAxis: { type: "category", axisLabel: { interval: 0, rotate: 20 },
                 data: rows.map(function (r) { return r.name; }) },
        yAxis: { type: "value", name: rows.length ? rows[0].unit : "" },
        series: [{ type: "bar", barMaxWidth: 48,
                   data: rows.map(function (r) {
                     return { value: r.value, display: r.display,
                              itemStyle: { color: COLORS[r.level] || "#888" } };
                   }),
                   label: { show: true, position: "top",
                            formatter: function (p) { return rows[p.dataIndex].display; } } }]
      });
      el.setAttribute("data-rendered", "true");
      window.addEventListener("resize", function () { chart.resize(); });
    });

    var g = document.getElementById("graph");
    if (g && g.getAttribute("data-graph")) {
      var data = JSON.parse(g.getAttribute("data-graph"));
      // The legend in Chinese: each category shown by its name in data.legend.
      var names = data.categories.map(function (c) { return (data.legend || {})[c] || c; });
      var cats = names.map(function (n) { return { name: n }; });
      var chart = echarts.init(g);
      chart.setOption({
        tooltip: {},
        legend: [{ data: names }],
        series: [{
          type: "graph", layout: "force", roam: true, draggable: true,
          force: { repulsion: 260, edgeLength: 120 },
          categories: cats, label: { show: true, position: "right" },
          edgeSymbol: ["none", "arrow"], edgeLabel: { show: true, formatter: "{c}" },
          data: data.nodes.map(function (n) {
            return { id: n.id, name: n.name, category: data.categories.indexOf(n.category),
                     symbolSize: n.id === data.center ? 34 : 18 };
          }),
          links: data.links.map(function (l) { return { source: l.source, target: l.target, value: l.label }; })
        }]
      });
      chart.on("click", function (p) {
        if (p.dataType !== "node") { return; }
        var node = data.nodes.filter(function (n) { return n.id === p.data.id; })[0];
        if (!node) { return; }
        if (node.category === "department") { location.href = "/departments/" + encodeURIComponent(node.id).replace(/%2F/g, "/"); }
        else if (node.category !== "indicator") { location.href = "/provisions/" + encodeURIComponent(node.id); }
      });
      g.setAttribute("data-rendered", "true");
      window.addEventListener("resize", function () { chart.resize(); });
    }
  });

  // SPARQL page: examples fill the editor; results show as a table (JSON) or as text.
  var form = document.getElementById("sparql-form");
  if (form) {
    var box = document.getElementById("query");
    document.querySelectorAll("button.example").forEach(function (b) {
      b.addEventListener("click", function () { box.value = b.getAttribute("data-query"); });
    });
    var ACCEPT = { json: "application/sparql-results+json", csv: "text/csv", tsv: "text/tab-separated-values",
                   xml: "application/sparql-results+xml", ttl: "text/turtle", jsonld: "application/ld+json" };
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var fmt = document.getElementById("format").value;
      var out = document.getElementById("sparql-result");
      out.textContent = "运行中…";
      fetch("/sparql", { method: "POST", headers: { "Content-Type": "application/sparql-query", "Accept": ACCEPT[fmt] },
                         body: box.value })
        .then(function (r) { return r.text().then(function (t) { return { r: r, t: t }; }); })
        .then(function (x) {
          out.textContent = "";
          var ctype = x.r.headers.get("Content-Type") || "";
          if (!x.r.ok) {
            var msg = x.t, detail = "";
            try { var body = JSON.parse(x.t); msg = body.message; detail = body.detail || ""; }
            catch (e) { msg = "服务器返回 " + x.r.status; }
            var p = document.createElement("p"); p.className = "error"; p.textContent = "查询未执行：" + msg;
            out.appendChild(p);
            if (detail) {   // the guard's or the parser's own words, for whoever writes SPARQL
              var d = document.createElement("details"); d.className = "tech";
              var s = document.createElement("summary"); s.textContent = "技术信息";
              var c = document.createElement("code"); c.textContent = detail;
              d.appendChild(s); d.appendChild(c); out.appendChild(d);
            }
            return;
          }
          if (ctype.indexOf("sparql-results+json") >= 0) {
            var data = JSON.parse(x.t);
            if (data.boolean !== undefined) { out.textContent = String(data.boolean); return; }
            var table = document.createElement("table"); table.className = "grid";
            var head = table.insertRow();
            data.head.vars.forEach(function (v) { var th = document.createElement("th"); th.textContent = v; head.appendChild(th); });
            data.results.bindings.forEach(function (b) {
              var tr = table.insertRow();
              data.head.vars.forEach(function (v) { tr.insertCell().textContent = b[v] ? b[v].value : ""; });
            });
            var note = document.createElement("p"); note.className = "muted";
            note.textContent = data.results.bindings.length + " 行" + (x.r.headers.get("X-Result-Truncated") === "true" ? "（已截断）" : "");
            out.appendChild(note);
            var wrap = document.createElement("div"); wrap.className = "scroll"; wrap.appendChild(table); out.appendChild(wrap);
          } else {
            var pre = document.createElement("pre"); pre.className = "result"; pre.textContent = x.t; out.appendChild(pre);
          }
        })
        .catch(function (e) { out.textContent = "请求失败：" + e; });
    });
  }
})();
