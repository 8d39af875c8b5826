/* SPDX-License-Identifier: Apache-2.0 */
/*
 * serve_assets.c — the style sheet, the script and the icon of the pages.
 *
 * The script only improves what works without it: a click on a table's
 * heading sorts that table in place (by the raw figure each cell carries
 * in data-v), and the live page refreshes its table from /live without
 * reloading (with scripts off, a <meta refresh> reloads it). It uses no
 * library and touches nothing outside the page.
 */
#include <string.h>

#include "serve_assets.h"

static const char css[] =
	":root{--fg:#1d232a;--muted:#5b6672;--line:#d9dee3;--bg:#fff;--band:#f4f6f8;"
	"--s1:#2f6fd0;--s2:#d98a1c;--s3:#c0392b;--s4:#b0306a;--ok:#2e8b57}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
	"color:var(--fg);background:var(--bg)}\n"
	"header{display:flex;gap:1.5em;align-items:center;padding:.6em 1.2em;background:#17212b}\n"
	"header a{color:#dfe6ee;text-decoration:none}\n"
	"header .brand{font-weight:700;color:#fff}\n"
	"nav{display:flex;flex-wrap:wrap;gap:1em}\n"
	"nav a[aria-current=page]{color:#fff;border-bottom:2px solid #6aa6ff}\n"
	"form.filters{display:flex;flex-wrap:wrap;gap:.8em;align-items:end;padding:.6em 1.2em;"
	"background:var(--band);border-bottom:1px solid var(--line)}\n"
	"form.filters label{display:flex;flex-direction:column;font-size:12px;color:var(--muted)}\n"
	"form.filters input,form.filters select{font:inherit;padding:.25em .4em;min-width:11em}\n"
	"main{padding:0 1.2em 2em}\n"
	"h1{font-size:20px;margin:.8em 0 .4em}\n"
	"h2{font-size:16px;margin:1.4em 0 .4em;border-bottom:1px solid var(--line)}\n"
	"h3{font-size:14px;margin:1em 0 .3em}\n"
	".caption,.empty,footer{color:var(--muted)}\n"
	"footer{padding:1em 1.2em;font-size:12px}\n"
	".scroll{overflow-x:auto}\n"
	"table.data{border-collapse:collapse;min-width:40%}\n"
	"table.data th,table.data td{padding:.25em .6em;border-bottom:1px solid var(--line);"
	"text-align:left;vertical-align:top}\n"
	"table.data th{background:var(--band);white-space:nowrap}\n"
	"table.sortable th{cursor:pointer}\n"
	"table.data .n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	"table.data .t{white-space:nowrap}\n"
	"table.data tr.nested>td{background:#fafbfc;padding-left:2em}\n"
	"td pre,.mono{font:12px/1.4 ui-monospace,'DejaVu Sans Mono',monospace;margin:0;"
	"white-space:pre-wrap}\n"
	"dl.record{display:flex;flex-wrap:wrap;gap:.4em 1.6em;margin:.6em 0}\n"
	"dl.record div{display:flex;flex-direction:column}\n"
	"dl.record dt{font-size:12px;color:var(--muted)}\n"
	"dl.record dd{margin:0;font-size:16px;font-variant-numeric:tabular-nums}\n"
	".error,.note{padding:.6em 1em;margin:1em 0;border-radius:4px}\n"
	".error{background:#fdecea;border:1px solid #f5c2bd}\n"
	".note{background:#eef4fb;border:1px solid #cfe0f3}\n"
	".error p,.note p{margin:.2em 0}\n"
	".charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:1em}\n"
	"figure.chart{margin:.6em 0}\n"
	"svg.chart{width:100%;height:auto;background:#fff;border:1px solid var(--line)}\n"
	"svg.chart text{font:15px system-ui,sans-serif;fill:var(--muted)}\n"
	"svg.chart .ctitle{font-size:18px;fill:var(--fg)}\n"
	"svg.chart .ylab,svg.chart .end{text-anchor:end}\n"
	"svg.chart .grid{stroke:#eef0f2}\n"
	"svg.chart .line{fill:none;stroke-width:2}\n"
	"svg.chart .band{fill:transparent}\n"
	"svg.chart .band:hover{fill:rgba(47,111,208,.08)}\n"
	"svg.chart .bar{fill:var(--s1)}\n"
	"svg.chart .dot{fill:var(--s1)}\n"
	"svg.chart .plab{fill:var(--fg)}\n"
	"svg.chart .cp{stroke:var(--s4);stroke-dasharray:3 3}\n"
	"svg.chart .wlab{fill:var(--fg);font-size:13px}\n"
	"svg.chart .span{fill:#8aa4c2}\n"
	"svg.chart .span.sql{fill:var(--s1)}\n"
	"svg.chart .span.http{fill:var(--s2)}\n"
	"svg.chart .span.cache{fill:var(--ok)}\n"
	".s1{stroke:var(--s1)}.s2{stroke:var(--s2)}.s3{stroke:var(--s3)}.s4{stroke:var(--s4)}\n"
	"figcaption .key{margin-right:1em;border-top:3px solid;padding-top:1px;font-size:12px}\n"
	"figcaption .key.s1{border-color:var(--s1)}figcaption .key.s2{border-color:var(--s2)}\n"
	"figcaption .key.s3{border-color:var(--s3)}figcaption .key.s4{border-color:var(--s4)}\n"
	"svg.spark{width:120px;height:24px}\n"
	"svg.spark polyline{fill:none;stroke:var(--s1);stroke-width:1.5}\n"
	".flame svg{width:100%;height:auto;border:1px solid var(--line)}\n"
	".live-state{color:var(--muted);font-size:12px}\n";

static const char js[] =
	"'use strict';\n"
	"(function () {\n"
	"  function value(td) {\n"
	"    var v = td.getAttribute('data-v');\n"
	"    return v === null ? td.textContent.trim().toLowerCase() : (v === '' ? -Infinity : Number(v));\n"
	"  }\n"
	"  function sortBy(table, th, index) {\n"
	"    var body = table.tBodies[0];\n"
	"    if (!body) return;\n"
	"    var asc = th.getAttribute('aria-sort') !== 'ascending';\n"
	"    var rows = Array.prototype.filter.call(body.rows, function (r) {\n"
	"      return !r.classList.contains('nested');\n"
	"    });\n"
	"    rows.sort(function (a, b) {\n"
	"      var x = value(a.cells[index]), y = value(b.cells[index]);\n"
	"      return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);\n"
	"    });\n"
	"    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) {\n"
	"      h.removeAttribute('aria-sort');\n"
	"    });\n"
	"    th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');\n"
	"    rows.forEach(function (r) {\n"
	"      var next = r.nextElementSibling;\n"
	"      body.appendChild(r);\n"
	"      while (next && next.classList.contains('nested')) {\n"
	"        var after = next.nextElementSibling;\n"
	"        body.appendChild(next);\n"
	"        next = after;\n"
	"      }\n"
	"    });\n"
	"  }\n"
	"  function sortable(root) {\n"
	"    root.querySelectorAll('table.sortable').forEach(function (table) {\n"
	"      if (!table.tHead) return;\n"
	"      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {\n"
	"        th.addEventListener('click', function () { sortBy(table, th, i); });\n"
	"      });\n"
	"    });\n"
	"  }\n"
	"  function live() {\n"
	"    var box = document.getElementById('live');\n"
	"    if (!box) return;\n"
	"    var state = document.getElementById('live-state');\n"
	"    setInterval(function () {\n"
	"      fetch(location.pathname + location.search, {cache: 'no-store'}).then(function (r) {\n"
	"        if (!r.ok) throw new Error('HTTP ' + r.status);\n"
	"        return r.text();\n"
	"      }).then(function (text) {\n"
	"        var doc = new DOMParser().parseFromString(text, 'text/html');\n"
	"        var fresh = doc.getElementById('live');\n"
	"        if (fresh) box.replaceChildren.apply(box, Array.from(fresh.childNodes));\n"
	"        if (state) state.textContent = 'updated ' + new Date().toLocaleTimeString();\n"
	"      }).catch(function (e) {\n"
	"        if (state) state.textContent = 'not updated: ' + e.message;\n"
	"      });\n"
	"    }, 2000);\n"
	"  }\n"
	"  document.addEventListener('DOMContentLoaded', function () {\n"
	"    sortable(document);\n"
	"    live();\n"
	"  });\n"
	"})();\n";

static const char icon[] =
	"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\">"
	"<rect width=\"16\" height=\"16\" rx=\"3\" fill=\"#17212b\"/>"
	"<polyline points=\"2,12 6,7 9,9 14,3\" fill=\"none\" stroke=\"#6aa6ff\" stroke-width=\"2\"/>"
	"</svg>\n";

static const struct serve_asset assets[] = {
	{"/static/bvapm.css", "text/css; charset=utf-8", css},
	{"/static/bvapm.js", "text/javascript; charset=utf-8", js},
	{"/static/icon.svg", "image/svg+xml", icon},
	{"/favicon.ico", "image/svg+xml", icon}, /* browsers ask for it unprompted */
};

const struct serve_asset *serve_asset_find(const char *path)
{
	for (size_t i = 0; i < sizeof assets / sizeof assets[0]; i++)
		if (strcmp(assets[i].path, path) == 0)
			return &assets[i];
	return NULL;
}
