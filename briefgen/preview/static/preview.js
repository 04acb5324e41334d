// briefgen preview: follows the server's builds (server-sent events) and keeps the
// reader on the page they were reading. No framework, nothing loaded from elsewhere.
"use strict";

const $ = (id) => document.getElementById(id);
const pagesEl = $("pages");
let current = null;         // the last state received
let shownBuild = -1;        // the build whose state is on screen
let applying = Promise.resolve();
let building = false;      // a build is running on the server

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "className") node.className = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  if (text !== undefined) node.textContent = text;
  return node;
}

function plural(n, word) { return `${n} ${word}${n === 1 ? "" : "s"}`; }

function barHeight() { return document.querySelector(".bar").getBoundingClientRect().height; }

// ---------------------------------------------------------------- where the reader is

function readingPosition() {
  const top = barHeight() + 8;
  const figures = pagesEl.children;
  for (let i = 0; i < figures.length; i++) {
    const box = figures[i].getBoundingClientRect();
    if (box.bottom > top) {
      return { index: i, offset: box.height ? (top - box.top) / box.height : 0 };
    }
  }
  return null;
}

function restorePosition(position) {
  if (!position || !pagesEl.children.length) return;
  const figure = pagesEl.children[Math.min(position.index, pagesEl.children.length - 1)];
  const box = figure.getBoundingClientRect();
  const top = barHeight() + 8;
  window.scrollBy(0, box.top - top + position.offset * box.height);
}

function updateIndicator() {
  const position = readingPosition();
  const total = pagesEl.children.length;
  $("page-indicator").textContent = position && total ? `Page ${position.index + 1} of ${total}` : "";
}

function goToPage(number) {
  const figure = $(`page-${number}`);
  if (!figure) return;
  window.scrollTo({ top: window.scrollY + figure.getBoundingClientRect().top - barHeight() - 16,
                    behavior: "smooth" });
  figure.classList.add("flash");
  setTimeout(() => figure.classList.remove("flash"), 1200);
}

// ---------------------------------------------------------------- pages

function preload(src) {
  return new Promise((resolve) => {
    const image = new Image();
    image.onload = image.onerror = () => resolve();
    image.src = src;
  });
}

function figureFor(page, total) {
  const figure = el("figure", { className: "page", id: `page-${page.number}`,
                                "data-page": page.number });
  const image = el("img", { alt: `Page ${page.number} of ${total}`, width: page.width,
                            height: page.height, "aria-describedby": `page-${page.number}-text`,
                            decoding: "async" });
  figure.append(image, el("figcaption", {}, `${page.number}`),
                el("div", { className: "page-text", id: `page-${page.number}-text` }));
  return figure;
}

async function showPages(pages) {
  // Fetch the images that changed first, then swap them all at once: no blank page,
  // and the unchanged pages (same name) are not fetched again.
  const changed = pages.filter((page, i) => {
    const figure = pagesEl.children[i];
    return !figure || figure.dataset.key !== page.key;
  });
  await Promise.all(changed.map((page) => preload(page.src)));
  const position = readingPosition();
  while (pagesEl.children.length > pages.length) pagesEl.lastElementChild.remove();
  pages.forEach((page, i) => {
    let figure = pagesEl.children[i];
    if (!figure) { figure = figureFor(page, pages.length); pagesEl.append(figure); }
    const image = figure.querySelector("img");
    if (figure.dataset.key !== page.key) {
      image.src = page.src;
      image.width = page.width;
      image.height = page.height;
      figure.dataset.key = page.key;
    }
    image.alt = `Page ${page.number} of ${pages.length}`;
    figure.querySelector(".page-text").textContent = page.text;
  });
  restorePosition(position);
  updateIndicator();
}

// ---------------------------------------------------------------- problems, status, pickers

function showProblems(problems) {
  const list = $("problems");
  list.replaceChildren();
  const order = { error: 0, warning: 1, finding: 2 };
  const sorted = [...problems].sort((a, b) => order[a.severity] - order[b.severity]);
  for (const problem of sorted) {
    const label = problem.severity === "finding"
      ? `preflight · ${problem.check || "page makeup"}` : problem.severity;
    const where = problem.where ? `${problem.where}${problem.line ? ":" + problem.line : ""}` : "";
    const button = el("button", { type: "button", disabled: !problem.page,
                                  title: problem.page ? `Go to page ${problem.page}` : null });
    button.append(el("span", { className: "sev" }, label),
                  el("span", { className: "page-ref" }, problem.page ? `page ${problem.page}` : ""),
                  el("span", { className: "msg" }, problem.message),
                  el("span", { className: "where", title: problem.file || null }, where));
    if (problem.page) button.addEventListener("click", () => goToPage(problem.page));
    const item = el("li", { className: `problem ${problem.severity}`,
                            "data-line": problem.line, "data-page": problem.page });
    item.append(button);
    list.append(item);
  }
  const errors = problems.filter((p) => p.severity === "error").length;
  const count = $("problem-count");
  count.textContent = problems.length;
  count.classList.toggle("has-errors", errors > 0);
  $("no-problems").hidden = problems.length > 0;
}

function showBanner(state) {
  const banner = $("banner");
  if (state.ok !== false) { banner.hidden = true; banner.replaceChildren(); return; }
  const errors = state.problems.filter((p) => p.severity === "error");
  const when = state.good_at ? new Date(state.good_at * 1000).toLocaleTimeString() : null;
  banner.replaceChildren(el("strong", {}, when
    ? `The source has ${plural(errors.length, "error")}: these are the last good pages (built at ${when}).`
    : `The source has ${plural(errors.length, "error")}: no pages yet.`));
  const list = el("ul");
  for (const problem of errors.slice(0, 5)) {
    const where = problem.where ? `${problem.where}${problem.line ? ":" + problem.line : ""}: ` : "";
    list.append(el("li", {}, where + problem.message));
  }
  banner.append(list);
  banner.hidden = false;
}

function showStatus(state) {
  const dot = $("state-dot");
  let text;
  if (state.building) {
    dot.className = "dot building";
    text = state.page_count ? `Rebuilding… (${plural(state.page_count, "page")})` : "Building…";
  } else if (state.ok === false) {
    dot.className = "dot error";
    text = `build failed (${state.seconds.toFixed(2)} s)`;
  } else if (state.ok) {
    dot.className = "dot ok";
    text = `built in ${state.seconds.toFixed(2)} s`;
  } else {
    dot.className = "dot building";
    text = "Building…";
  }
  const status = $("status-text");
  status.replaceChildren();
  if (state.ok !== null && !state.building && state.page_count) {
    status.append(el("span", { id: "page-count", "data-count": state.page_count },
                     plural(state.page_count, "page")), " · ");
  }
  status.append(text);
}

function fillSelect(select, values, chosen, label) {
  const wanted = values.map((v) => `${v.value}\u0000${v.label}`).join("\u0001");
  if (select.dataset.options !== wanted) {
    select.replaceChildren(...values.map((v) => el("option", { value: v.value, title: v.title }, v.label)));
    select.dataset.options = wanted;
  }
  if (chosen) select.value = chosen;
  select.disabled = values.length < 2 && label === "size";
}

function showControls(state) {
  $("source").textContent = state.source;
  $("source").title = state.source;
  fillSelect($("layout"), state.layouts.map((l) => ({ value: l.name, label: l.name, title: l.description })),
             state.layout, "layout");
  fillSelect($("page-size"), state.page_sizes.map((s) => ({ value: s, label: s })), state.page_size, "size");
  const downloads = $("downloads");
  downloads.replaceChildren(...state.downloads.map((d) => d.ready
    ? el("a", { href: d.href, download: d.name, title: `Download ${d.name}` }, `⤓ ${d.kind}`)
    : el("a", { "aria-disabled": "true", className: "disabled",
                title: `Fix the errors to download the ${d.kind}` }, `⤓ ${d.kind}`)));
}

async function choose(change) {
  const layouts = current ? current.layouts : [];
  const layout = change.layout || $("layout").value;
  let size = change.page_size || $("page-size").value || null;
  const entry = layouts.find((l) => l.name === layout);
  if (entry && !entry.page_sizes.includes(size)) size = null;
  building = true;
  showStatus({ ...current, building: true });
  await fetch("/choose", { method: "POST", headers: { "Content-Type": "application/json" },
                           body: JSON.stringify({ layout, page_size: size }) });
}

// ---------------------------------------------------------------- the event stream

function apply(state) {
  current = state;
  building = state.building;
  applying = applying.then(async () => {
    showControls(state);
    if (state.build !== shownBuild) {
      showProblems(state.problems);
      showBanner(state);
      const empty = $("empty");
      empty.hidden = state.pages.length > 0 || state.ok === false;
      empty.textContent = state.pages.length ? "" : "Building the pages…";
      await showPages(state.pages);
      shownBuild = state.build;
      document.body.dataset.build = state.build;
    }
    // Only now: the page count shown is the count of the pages on screen.
    showStatus({ ...current, building: building || current.building });
  });
}

function connect() {
  const events = new EventSource("/events");
  events.addEventListener("state", (event) => apply(JSON.parse(event.data)));
  events.addEventListener("building", () => {
    building = true;
    if (current) showStatus({ ...current, building: true });
  });
  events.addEventListener("error", () => {
    $("state-dot").className = "dot error";
    $("status-text").textContent = "Disconnected: is `briefgen preview` still running?";
  });
}

$("layout").addEventListener("change", (e) => choose({ layout: e.target.value }));
$("page-size").addEventListener("change", (e) => choose({ page_size: e.target.value }));
window.addEventListener("scroll", updateIndicator, { passive: true });
connect();
