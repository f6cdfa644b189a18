// A small markdown renderer for Netra's answers: headings, paragraphs, lists, tables,
// block quotes, code blocks, **bold** and `code`. It builds DOM nodes and sets only
// textContent, so nothing in an answer (a route name, a thread title, a model's words) can
// become markup or script: safe by construction, with nothing to sanitise.

function inline(parent, text) {
  const re = /(\*\*([^*]+)\*\*|`([^`]+)`)/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > last) parent.append(document.createTextNode(text.slice(last, m.index)));
    const el = document.createElement(m[2] !== undefined ? "strong" : "code");
    el.textContent = m[2] !== undefined ? m[2] : m[3];
    parent.append(el);
    last = m.index + m[0].length;
  }
  if (last < text.length) parent.append(document.createTextNode(text.slice(last)));
  return parent;
}

const cells = (line) => line.trim().replace(/^\||\|$/g, "").split("|").map((c) => c.trim());

export function renderMarkdown(md) {
  const root = document.createElement("div");
  root.className = "md";
  const lines = String(md || "").replace(/\r/g, "").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === "") {
      i++;
      continue;
    }
    if (line.startsWith("```")) {
      const pre = document.createElement("pre");
      const body = [];
      for (i++; i < lines.length && !lines[i].startsWith("```"); i++) body.push(lines[i]);
      i++;
      pre.textContent = body.join("\n");
      root.append(pre);
      continue;
    }
    const h = line.match(/^(#{1,4})\s+(.*)$/);
    if (h) {
      root.append(inline(document.createElement("h" + Math.min(h[1].length + 1, 5)), h[2]));
      i++;
      continue;
    }
    if (line.trim().startsWith("|") && i + 1 < lines.length && /^\s*\|?\s*:?-{3,}/.test(lines[i + 1])) {
      const table = document.createElement("table");
      const right = cells(lines[i + 1]).map((c) => c.endsWith(":")); // ---: aligns right
      const head = document.createElement("tr");
      cells(line).forEach((c, k) => {
        const th = inline(document.createElement("th"), c);
        if (right[k]) th.className = "r";
        head.append(th);
      });
      const thead = document.createElement("thead");
      thead.append(head);
      const tbody = document.createElement("tbody");
      for (i += 2; i < lines.length && lines[i].trim().startsWith("|"); i++) {
        const tr = document.createElement("tr");
        cells(lines[i]).forEach((c, k) => {
          const td = inline(tr.appendChild(document.createElement("td")), c);
          if (right[k]) td.className = "r";
        });
        tbody.append(tr);
      }
      table.append(thead, tbody);
      const wrap = document.createElement("div");
      wrap.className = "table";
      wrap.append(table);
      root.append(wrap);
      continue;
    }
    const item = /^(\s*)([-*]|\d+\.)\s+(.*)$/;
    if (item.test(line)) {
      const ordered = /\d/.test(line.match(item)[2]);
      const list = document.createElement(ordered ? "ol" : "ul");
      for (; i < lines.length && item.test(lines[i]); i++) inline(list.appendChild(document.createElement("li")), lines[i].match(item)[3]);
      root.append(list);
      continue;
    }
    if (line.startsWith(">")) {
      const q = document.createElement("blockquote");
      const body = [];
      for (; i < lines.length && lines[i].startsWith(">"); i++) body.push(lines[i].replace(/^>\s?/, ""));
      inline(q, body.join(" "));
      root.append(q);
      continue;
    }
    const para = [];
    for (; i < lines.length && lines[i].trim() !== "" && !/^(#|```|\||>|\s*([-*]|\d+\.)\s)/.test(lines[i]); i++) para.push(lines[i]);
    if (para.length === 0) para.push(lines[i++]);
    root.append(inline(document.createElement("p"), para.join(" ")));
  }
  return root;
}
