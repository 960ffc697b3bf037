// The page's one module: three views chosen by the URL's fragment, so every view has a link that can be shared and
// the server needs no route per view.
//   #/                          the server's status and a search (default: everything)
//   #/search?q=…&page=…&size=…  a page of search results
//   #/objects/{id}              an object: metadata, components, upload, equations
// All data comes from the gateway's JSON API under doip/ (relative, so the page also works below a path prefix).
// Nothing from the server is inserted as HTML: every text goes through textContent (see `h`).

const TOKEN_KEY = "doip-token"
const PAGE_SIZES = [10, 20, 50, 100]
const main = document.getElementById("main")

/** @type {Promise<any> | undefined} hello, fetched once per page load (the status view has a button to refresh) */
let hello
/** what the current view redraws when the token is saved or forgotten */
let onTokenChange = () => {}

window.addEventListener("hashchange", () => route(true))
setupTokenForm()
route(false)

// ---------------------------------------------------------------------------------------------------------------
// Routing

/** a path segment decoded, or as it is when it is no valid percent-encoding (a hand-typed link, say) */
function decodedOr(segment) {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

async function route(moveFocus) {
  const hash = location.hash.replace(/^#/, "") || "/"
  const [path, query = ""] = hash.split("?", 2)
  const params = new URLSearchParams(query)
  const object = path.match(/^\/objects\/(.+)$/)
  const view = object
    ? objectView(decodedOr(object[1]))
    : homeView({
      q: params.get("q") ?? "*",
      page: nonNegative(params.get("page"), 0),
      size: PAGE_SIZES.includes(Number(params.get("size"))) ? Number(params.get("size")) : 20
    })
  onTokenChange = () => {}
  main.replaceChildren(view.element)
  // a new view is announced by moving focus to its heading, as a page load would; a new page of results by moving
  // it to the results, so the keyboard goes on from there
  if (moveFocus && !params.has("q")) view.element.querySelector("h1")?.focus()
  await view.load
  // unless the user has gone on meanwhile (typing the next search, say)
  const idle = document.activeElement === null || document.activeElement === document.body
  if (moveFocus && params.has("q") && idle) view.element.querySelector("#results-heading")?.focus()
}

const searchHash = ({ q, page, size }) =>
  `#/search?${new URLSearchParams({ q, page: String(page), size: String(size) })}`
const objectHash = (id) => `#/objects/${encodeURIComponent(id)}`

// ---------------------------------------------------------------------------------------------------------------
// Home: status and search

function homeView(search) {
  const status = h("section", { class: "card", "aria-labelledby": "status-heading" })
  const results = h("section", { class: "card", "aria-labelledby": "results-heading", "aria-live": "polite" })
  const input = h("input", { id: "q", name: "q", type: "search", value: search.q, spellcheck: "false" })
  const size = h("select", { id: "size", name: "size" },
    ...PAGE_SIZES.map((n) => h("option", { value: String(n), selected: n === search.size }, String(n))))
  const form = h("form", { class: "search", role: "search" },
    h("label", { for: "q" }, "Search objects"),
    h("div", { class: "row" }, input, h("button", { type: "submit" }, "Search")),
    h("p", { class: "hint", id: "q-hint" },
      "Every word must match somewhere in the object; ", h("code", {}, "*"), " lists everything; ",
      h("code", {}, "type:Dataset"), " or ", h("code", {}, "mediaType:pdf"), " match one field; ",
      h("code", {}, "\"quoted phrases\""), " keep their spaces."),
    h("div", { class: "row small" }, h("label", { for: "size" }, "Results per page"), size))
  input.setAttribute("aria-describedby", "q-hint")
  form.addEventListener("submit", (event) => {
    event.preventDefault()
    location.hash = searchHash({ q: input.value.trim() || "*", page: 0, size: Number(size.value) })
  })
  size.addEventListener("change", () => form.requestSubmit())
  const element = h("div", { class: "view" },
    h("h1", { tabindex: "-1" }, "Digital objects"),
    status,
    form,
    results)
  document.title = search.q === "*" ? "DOIP objects" : `${search.q} – DOIP objects`
  return { element, load: Promise.all([loadStatus(status), loadResults(results, search)]) }
}

async function loadStatus(section, refresh = false) {
  const refreshButton = h("button", { type: "button", class: "secondary" }, "Refresh")
  refreshButton.addEventListener("click", () => loadStatus(section, true))
  const heading = h("div", { class: "heading" }, h("h2", { id: "status-heading" }, "Server status"), refreshButton)
  section.replaceChildren(heading, h("p", { class: "muted" }, "Loading…"))
  section.setAttribute("aria-busy", "true")
  try {
    if (hello === undefined || refresh) hello = getJson("hello")
    const info = await hello
    const dependencies = info.dependencies ?? []
    const workflows = info.workflows ?? []
    section.replaceChildren(
      heading,
      h("dl", { class: "facts inline" },
        ...[
          fact("Server", `${info.server ?? "?"} ${info.serverVersion ?? ""}`),
          fact("Protocol", `DOIP ${info.protocolVersion ?? "?"}`),
          fact("TLS", info.tls ? "on" : "off"),
          fact("Storage", String(info.storage ?? "?"))
        ].map((pair) => h("div", {}, ...pair))),
      h("h3", {}, "Dependencies"),
      dependencies.length === 0
        ? h("p", { class: "muted" }, "None reported.")
        : h("ul", { class: "deps" }, ...dependencies.map((d) =>
          h("li", {},
            badge(d.status),
            h("strong", {}, ` ${d.name}`),
            d.kind ? ` (${d.kind})` : "",
            d.message ? ` – ${d.message}` : "",
            d.checkedAt ? h("span", { class: "muted" }, ` checked ${formatTime(d.checkedAt)}`) : ""))),
      h("details", {},
        h("summary", {}, `Workflows (${workflows.length}) and operations`),
        workflows.length === 0
          ? h("p", { class: "muted" }, "No workflows.")
          : h("dl", { class: "workflows" },
            ...workflows.flatMap((w) => [h("dt", {}, h("code", {}, w.name)), h("dd", {}, w.description ?? "")])),
        h("p", {}, "Operations: ", Object.keys(info.availableOperations ?? {}).join(", "))))
  } catch (error) {
    hello = undefined
    section.replaceChildren(heading, errorBox(error))
  } finally {
    section.removeAttribute("aria-busy")
  }
}

async function loadResults(section, search) {
  const heading = h("h2", { id: "results-heading", tabindex: "-1" }, "Results")
  section.replaceChildren(heading, h("p", { class: "muted" }, "Searching…"))
  section.setAttribute("aria-busy", "true")
  try {
    const query = new URLSearchParams({ q: search.q, pageNum: String(search.page), pageSize: String(search.size) })
    const answer = await getJson(`objects?${query}`)
    const items = answer.results ?? []
    const total = Number(answer.size ?? items.length)
    const first = search.page * search.size + 1
    const summary = items.length === 0
      ? (search.page === 0 ? `No objects match “${search.q}”.` : "No more results.")
      : `${first}–${first + items.length - 1} of ${total} for “${search.q}”`
    section.replaceChildren(
      heading,
      h("p", { class: "summary" }, summary),
      h("ol", { class: "results", start: String(first) }, ...items.map(resultItem)),
      pager(search, total))
  } catch (error) {
    section.replaceChildren(heading, errorBox(error))
  } finally {
    section.removeAttribute("aria-busy")
  }
}

function resultItem(result) {
  const id = typeof result === "string" ? result : result.id
  const manifest = result?.attributes?.content ?? {}
  const elements = result?.elements ?? []
  const title = titleOf(manifest)
  return h("li", {},
    h("a", { href: objectHash(id), class: "result-link" }, h("strong", {}, id), title ? ` – ${title}` : ""),
    h("div", { class: "muted small" },
      [typeOf(manifest, result), plural(elements.length, "component"), elements.map((e) => e.id).slice(0, 4).join(", ")]
        .filter(Boolean).join(" · ")))
}

function pager(search, total) {
  const pages = Math.max(1, Math.ceil(total / search.size))
  const nav = h("nav", { class: "pager", "aria-label": "Result pages" })
  const go = (page) => () => { location.hash = searchHash({ ...search, page }) }
  const previous = h("button", { type: "button", disabled: search.page === 0 }, "← Previous")
  const next = h("button", { type: "button", disabled: search.page + 1 >= pages }, "Next →")
  previous.addEventListener("click", go(search.page - 1))
  next.addEventListener("click", go(search.page + 1))
  nav.append(previous, h("span", {}, `Page ${search.page + 1} of ${pages}`), next)
  return nav
}

// ---------------------------------------------------------------------------------------------------------------
// Object: metadata, components, upload, equations

function objectView(id) {
  const element = h("div", { class: "view" },
    h("p", {}, h("a", { href: "#/", class: "back" }, "← All objects")),
    h("h1", { tabindex: "-1" }, id))
  document.title = `${id} – DOIP objects`
  const metadata = h("section", { class: "card", "aria-labelledby": "meta-heading" })
  const components = h("section", { class: "card", "aria-labelledby": "components-heading" })
  const upload = h("section", { class: "card", "aria-labelledby": "upload-heading" })
  const equations = h("section", { class: "card", "aria-labelledby": "equations-heading" })
  element.append(metadata, components, upload, equations)
  const reload = async () => {
    metadata.replaceChildren(h("h2", { id: "meta-heading" }, "Metadata"), h("p", { class: "muted" }, "Loading…"))
    try {
      const manifest = await getJson(`objects/${encodeURIComponent(id)}`)
      const list = componentsOf(manifest)
      renderMetadata(metadata, manifest)
      renderComponents(components, id, list)
      renderUpload(upload, id, reload)
      renderEquations(equations, id, list)
      onTokenChange = () => renderUpload(upload, id, reload)
    } catch (error) {
      metadata.replaceChildren(h("h2", { id: "meta-heading" }, "Metadata"), errorBox(error))
      components.remove(), upload.remove(), equations.remove()
    }
  }
  return { element, load: reload() }
}

function renderMetadata(section, manifest) {
  const kernel = manifest.kernel ?? {}
  const provenance = manifest.provenance ?? {}
  const profile = manifest.profile ?? {}
  const title = titleOf(manifest)
  const facts = [
    ...(title ? fact("Title", title) : []),
    ...fact("Type", typeOf(manifest)),
    ...(kernel.modified ? fact("Modified", formatTime(kernel.modified)) : []),
    ...(provenance["prov:wasAttributedTo"] ? fact("Attributed to", String(provenance["prov:wasAttributedTo"])) : []),
    ...(provenance["fdo:commit"] ? fact("Commit", h("code", { class: "hash" }, String(provenance["fdo:commit"]))) : []),
    // the profile's plain fields (name, author, date…): the rest is in the JSON below
    ...Object.entries(profile)
      .filter(([key, value]) => !key.startsWith("@") && key !== "identifier" && key !== "name" && isPlain(value))
      .flatMap(([key, value]) => fact(key, Array.isArray(value) ? value.join(", ") : String(value)))
  ]
  section.replaceChildren(
    h("h2", { id: "meta-heading" }, "Metadata"),
    h("dl", { class: "facts" }, ...facts),
    h("details", {},
      h("summary", {}, "Full manifest (JSON-LD)"),
      h("pre", { class: "json", tabindex: "0" }, JSON.stringify(manifest, null, 2))))
}

function renderComponents(section, id, list) {
  const heading = h("h2", { id: "components-heading" }, "Components")
  if (list.length === 0) {
    section.replaceChildren(heading, h("p", { class: "muted" }, "This object has no components."))
    return
  }
  section.replaceChildren(heading,
    h("div", { class: "table-wrap" },
      h("table", { class: "components" },
        h("thead", {}, h("tr", {}, ...["Component", "Media type", "Size", "Checksum", ""].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, ...list.map((c) =>
          h("tr", { "data-component": c.componentId },
            h("th", { scope: "row", "data-label": "Component" }, c.componentId),
            h("td", { "data-label": "Media type" }, c.mediaType ?? ""),
            h("td", { "data-label": "Size", title: c.size === undefined ? "" : `${c.size} bytes` }, formatSize(c.size)),
            h("td", { "data-label": "Checksum" }, h("code", { class: "hash" }, c.checksum ?? "")),
            h("td", {},
              h("a", {
                href: componentUrl(id, c.componentId),
                download: c.componentId,
                "aria-label": `Download ${c.componentId}`
              }, "Download"))))))))
}

function renderUpload(section, id, reload) {
  const heading = h("h2", { id: "upload-heading" }, "Upload a component")
  if (!token()) {
    section.replaceChildren(heading,
      h("p", { class: "muted" }, "Enter a write token at the top of the page to add or replace components."))
    return
  }
  const file = h("input", { id: "upload-file", type: "file", required: true })
  const name = h("input", { id: "upload-name", type: "text", required: true, spellcheck: "false", placeholder: "e.g. data.csv" })
  const submit = h("button", { type: "submit" }, "Upload")
  const progress = h("progress", { id: "upload-progress", max: "1", value: "0", hidden: true })
  const state = h("p", { role: "status", class: "upload-state" })
  // the name follows the chosen file until the user types one
  let suggested = ""
  file.addEventListener("change", () => {
    if (file.files[0] && name.value === suggested) name.value = suggested = file.files[0].name
  })
  const form = h("form", { class: "upload" },
    h("div", { class: "field" }, h("label", { for: "upload-file" }, "File"), file),
    h("div", { class: "field" }, h("label", { for: "upload-name" }, "Component name"), name),
    h("p", { class: "hint" }, "A component of the same name is replaced."),
    h("div", { class: "row" }, submit, progress),
    state)
  form.addEventListener("submit", async (event) => {
    event.preventDefault()
    const chosen = file.files[0]
    if (!chosen) return
    submit.disabled = true
    progress.hidden = false
    progress.value = 0
    state.textContent = `Uploading ${chosen.name}…`
    try {
      await upload(id, name.value.trim(), chosen, (loaded, total) => {
        progress.max = total
        progress.value = loaded
      })
      state.textContent = `Stored ${name.value.trim()}.`
      const stored = name.value.trim()
      await reload()
      // the form was drawn anew with the new list: say so there, and keep the keyboard where it was
      section.querySelector(".upload-state")?.replaceChildren(`Stored ${stored}.`)
      section.querySelector("#upload-file")?.focus()
    } catch (error) {
      state.replaceChildren(errorBox(error))
    } finally {
      submit.disabled = false
    }
  })
  section.replaceChildren(heading, form)
}

// XMLHttpRequest because fetch reports no upload progress
function upload(id, componentId, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open("PUT", componentUrl(id, componentId))
    xhr.setRequestHeader("Authorization", `Bearer ${token()}`)
    xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream")
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total)
    })
    xhr.addEventListener("load", () => {
      const body = parseJson(xhr.responseText)
      if (xhr.status >= 200 && xhr.status < 300) resolve(body)
      else reject(new ApiError(xhr.status, body))
    })
    xhr.addEventListener("error", () => reject(new Error("The upload failed: the server could not be reached.")))
    xhr.send(file)
  })
}

function renderEquations(section, id, list) {
  const heading = h("h2", { id: "equations-heading" }, "Equations")
  const pdfs = list.filter((c) => c.mediaType === "application/pdf")
  if (pdfs.length === 0) {
    section.replaceChildren(heading, h("p", { class: "muted" }, "This object has no PDF to find equations in."))
    return
  }
  const source = h("select", { id: "eq-source" }, ...pdfs.map((c) => h("option", { value: c.componentId }, c.componentId)))
  const pages = h("input", { id: "eq-pages", type: "text", inputmode: "numeric", placeholder: "all", spellcheck: "false" })
  const run = h("button", { type: "submit", id: "eq-run" }, "Find equations")
  const state = h("p", { role: "status", class: "eq-state" })
  const output = h("div", { class: "equations" })
  const form = h("form", { class: "eq-form" },
    pdfs.length > 1 ? h("div", { class: "field" }, h("label", { for: "eq-source" }, "PDF"), source) : "",
    h("div", { class: "field" },
      h("label", { for: "eq-pages" }, "Pages"),
      pages,
      h("span", { class: "hint", id: "eq-pages-hint" }, "e.g. 1, 3-4; empty for every page")),
    h("div", { class: "row" }, run))
  pages.setAttribute("aria-describedby", "eq-pages-hint")
  form.addEventListener("submit", async (event) => {
    event.preventDefault()
    const chosen = parsePages(pages.value)
    if (chosen === undefined) {
      state.replaceChildren(errorBox(new Error("Pages: give page numbers or ranges, like 1, 3-4.")))
      pages.focus()
      return
    }
    run.disabled = true
    section.setAttribute("aria-busy", "true")
    output.replaceChildren()
    state.textContent = "Finding equations… (a long paper takes a while)"
    try {
      const params = { ...(chosen.length > 0 ? { pages: chosen } : {}), ...(pdfs.length > 1 ? { componentId: source.value } : {}) }
      const answer = await getJson(`invoke/${encodeURIComponent(id)}/equation_extraction`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...authHeader() },
        body: JSON.stringify(params)
      })
      const extracted = equationsDocument(answer)
      const found = extracted?.equations ?? []
      const stored = answer.result?.stored === false ? " Not stored (no token): shown here only." : ""
      state.textContent = `${plural(found.length, "equation")} found.${stored} Rendering…`
      await showEquations(output, id, extracted?.sourceComponent ?? source.value, found)
      state.textContent = `${plural(found.length, "equation")} found.${stored}`
    } catch (error) {
      state.replaceChildren(errorBox(error))
    } finally {
      run.disabled = false
      section.removeAttribute("aria-busy")
    }
  })
  section.replaceChildren(heading, form, state, output)
}

// the workflow's answer names its derived components; equations.json carries the equations
function equationsDocument(answer) {
  const components = answer.components ?? []
  const named = components.find((c) => Array.isArray(c.json?.equations)) ?? components.find((c) => c.componentId === "equations.json")
  return named?.json ?? (Array.isArray(answer.result?.equations) ? answer.result : undefined)
}

async function showEquations(output, id, sourceComponent, equations) {
  if (equations.length === 0) return
  const [katex, pdf] = await Promise.all([loadKatex(), openPdf(componentUrl(id, sourceComponent))])
  // the equations come in page order: one rendered page at a time keeps a long paper's pixels out of memory
  let rendered = { page: 0, canvas: undefined }
  const pageCanvas = (n) => {
    if (rendered.page !== n) rendered = { page: n, canvas: renderPage(pdf, n) }
    return rendered.canvas
  }
  const list = h("ol", { class: "equation-list" })
  output.replaceChildren(list)
  for (const equation of equations) {
    const label = equation.number ?? "(unnumbered)"
    const math = h("div", { class: "math" })
    katex.render(equation.latex ?? "", math, { displayMode: true, throwOnError: false, output: "htmlAndMathml" })
    const latexId = `latex-${equation.id}`
    const latex = h("textarea", { id: latexId, readonly: true, rows: "3", spellcheck: "false" }, equation.latex ?? "")
    const copy = h("button", { type: "button", class: "secondary" }, "Copy LaTeX")
    const copied = h("span", { role: "status", class: "muted small" })
    copy.addEventListener("click", async () => {
      copied.textContent = (await copyText(latex)) ? "Copied." : "Select the text and copy it."
    })
    const crop = h("div", { class: "crop" }, h("span", { class: "muted small" }, "Rendering page…"))
    const uncertain = typeof equation.confidence === "number" && equation.confidence < UNCERTAIN
    const sureness = typeof equation.confidence === "number" ? `confidence ${equation.confidence.toFixed(2)}` : ""
    list.append(h("li", { class: uncertain ? "equation card uncertain" : "equation card", "data-equation": equation.id },
      h("h3", {}, equation.number ? `Equation ${equation.number}` : "Unnumbered equation",
        h("span", { class: "muted small" }, [` · page ${equation.page}`, equation.source, equation.id, sureness].filter(Boolean).join(" · ")),
        uncertain ? h("span", { class: "badge" }, "uncertain: check against the page") : ""),
      h("div", { class: "side-by-side" }, crop, math),
      h("div", { class: "latex" }, h("label", { for: latexId }, "LaTeX"), latex, h("div", { class: "row" }, copy, copied))))
    try {
      crop.replaceChildren(cropImage(await pageCanvas(equation.page), equation, label))
    } catch (error) {
      crop.replaceChildren(errorBox(error))
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// KaTeX and pdf.js, loaded on first use: most visits never need their 2 MB

const SCALE = 3 // canvas pixels per PDF point, so a crop shown at 1.5 CSS pixels per point is sharp on dense screens
const ZOOM = 1.5 // CSS pixels per PDF point of a crop: a paper's 10 pt formula readable beside its KaTeX
// below this confidence an equation is marked for a look: the finder may have misread the page (`uncertainBelow` in
// src/layers/workflows/equations/Confidence.ts says how it was chosen; a test keeps the two equal)
const UNCERTAIN = 0.9
const MARGIN = 10 // PDF points around an equation's box, so its neighbourhood shows where it sits

let katexLoading
function loadKatex() {
  katexLoading ??= new Promise((resolve, reject) => {
    document.head.append(h("link", { rel: "stylesheet", href: asset("katex/katex.min.css") }))
    const script = h("script", { src: asset("katex/katex.min.js") })
    script.addEventListener("load", () => resolve(window.katex))
    script.addEventListener("error", () => reject(new Error("KaTeX could not be loaded.")))
    document.head.append(script)
  })
  return katexLoading
}

let pdfjsLoading
async function openPdf(url) {
  pdfjsLoading ??= import(asset("pdfjs/build/pdf.min.mjs")).then((pdfjs) => {
    pdfjs.GlobalWorkerOptions.workerSrc = asset("pdfjs/build/pdf.worker.min.mjs")
    return pdfjs
  })
  const pdfjs = await pdfjsLoading
  return pdfjs.getDocument({
    url,
    cMapUrl: asset("pdfjs/cmaps/"),
    standardFontDataUrl: asset("pdfjs/standard_fonts/"),
    wasmUrl: asset("pdfjs/wasm/"),
    iccUrl: asset("pdfjs/iccs/"),
    isEvalSupported: false
  }).promise
}

async function renderPage(pdf, pageNumber) {
  const page = await pdf.getPage(pageNumber)
  const viewport = page.getViewport({ scale: SCALE })
  const canvas = document.createElement("canvas")
  canvas.width = Math.ceil(viewport.width)
  canvas.height = Math.ceil(viewport.height)
  await page.render({ canvas, viewport }).promise
  return { canvas, viewport }
}

// the equation's region of its page, the box the workflow found drawn on it
function cropImage({ canvas, viewport }, equation, label) {
  const { left, bottom, right, top } = equation.box ?? equation.bbox
  // PDF space has its origin at the lower left; the viewport maps it (and any page rotation) to canvas pixels
  const [x1, y1] = viewport.convertToViewportPoint(left, bottom)
  const [x2, y2] = viewport.convertToViewportPoint(right, top)
  const box = { x: Math.min(x1, x2), y: Math.min(y1, y2), w: Math.abs(x2 - x1), h: Math.abs(y2 - y1) }
  const m = MARGIN * SCALE
  const sx = Math.max(0, Math.floor(box.x - m))
  const sy = Math.max(0, Math.floor(box.y - m))
  const sw = Math.min(canvas.width, Math.ceil(box.x + box.w + m)) - sx
  const sh = Math.min(canvas.height, Math.ceil(box.y + box.h + m)) - sy
  const crop = document.createElement("canvas")
  crop.width = Math.max(1, sw)
  crop.height = Math.max(1, sh)
  const context = crop.getContext("2d")
  context.drawImage(canvas, sx, sy, sw, sh, 0, 0, sw, sh)
  context.strokeStyle = "#d6336c"
  context.lineWidth = 2
  context.strokeRect(box.x - sx, box.y - sy, box.w, box.h)
  return h("img", {
    src: crop.toDataURL("image/png"),
    alt: `Page ${equation.page} of the PDF around equation ${label}, its box outlined`,
    width: String(Math.round((crop.width / SCALE) * ZOOM)),
    height: String(Math.round((crop.height / SCALE) * ZOOM))
  })
}

// ---------------------------------------------------------------------------------------------------------------
// Token

function token() {
  return sessionStorage.getItem(TOKEN_KEY) ?? ""
}

function authHeader() {
  return token() ? { Authorization: `Bearer ${token()}` } : {}
}

function setupTokenForm() {
  const form = document.getElementById("token-form")
  const input = document.getElementById("token-input")
  const forget = document.getElementById("token-forget")
  const state = document.getElementById("token-state")
  const show = () => {
    const set = token() !== ""
    forget.hidden = !set
    state.textContent = set ? "Saved for this tab." : ""
    input.value = ""
    input.placeholder = set ? "•••••• (saved)" : "for uploads"
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault()
    if (input.value.trim()) sessionStorage.setItem(TOKEN_KEY, input.value.trim())
    show()
    onTokenChange()
  })
  forget.addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY)
    show()
    input.focus()
    onTokenChange()
  })
  show()
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers

class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `The server answered ${status}.`)
    this.status = status
    this.error = body?.error
  }
}

async function getJson(path, init) {
  const response = await fetch(new URL(`doip/${path}`, document.baseURI), init)
  const body = parseJson(await response.text())
  if (!response.ok) throw new ApiError(response.status, body)
  return body
}

function parseJson(text) {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const componentUrl = (id, componentId) =>
  new URL(`doip/objects/${encodeURIComponent(id)}/components/${encodeURIComponent(componentId)}`, document.baseURI).href
const asset = (path) => new URL(path, import.meta.url).href

function componentsOf(manifest) {
  const list = manifest?.kernel?.["fdo:hasComponent"] ?? []
  return (Array.isArray(list) ? list : [list]).filter((c) => c && typeof c.componentId === "string")
}

function titleOf(manifest) {
  const profile = manifest?.profile ?? {}
  const candidate = profile.name ?? profile.headline ?? profile.title ?? manifest?.name ?? manifest?.label
  return typeof candidate === "string" ? candidate : ""
}

function typeOf(manifest, result) {
  return manifest?.kernel?.digitalObjectType ?? result?.type ?? manifest?.["@type"] ?? ""
}

function fact(term, description) {
  return [h("dt", {}, term), h("dd", {}, description)]
}

function badge(status) {
  const ok = status === "ok"
  return h("span", { class: `badge ${ok ? "ok" : "bad"}` }, ok ? "ok" : String(status ?? "unknown"))
}

function errorBox(error) {
  const detail = error instanceof ApiError && error.error ? `${error.error}: ` : ""
  return h("p", { class: "error", role: "alert" }, `${detail}${error?.message ?? String(error)}`)
}

async function copyText(textarea) {
  try {
    await navigator.clipboard.writeText(textarea.value)
    return true
  } catch {
    // the Clipboard API needs a secure context (https or localhost): fall back to the selection
    textarea.select()
    return document.execCommand?.("copy") ?? false
  }
}

function parsePages(text) {
  const pages = new Set()
  for (const part of text.split(/[\s,]+/).filter(Boolean)) {
    const range = part.match(/^(\d+)(?:-(\d+))?$/)
    if (!range) return undefined
    const from = Number(range[1])
    const to = Number(range[2] ?? range[1])
    if (from < 1 || to < from || to - from > 10000) return undefined
    for (let n = from; n <= to; n++) pages.add(n)
  }
  return [...pages].sort((a, b) => a - b)
}

function nonNegative(text, fallback) {
  const n = Number(text)
  return Number.isInteger(n) && n >= 0 ? n : fallback
}

function isPlain(value) {
  return ["string", "number", "boolean"].includes(typeof value) ||
    (Array.isArray(value) && value.every((v) => typeof v === "string" || typeof v === "number"))
}

function plural(n, noun) {
  return `${n} ${noun}${n === 1 ? "" : "s"}`
}

function formatSize(bytes) {
  if (typeof bytes !== "number") return ""
  if (bytes < 1024) return `${bytes} B`
  const units = ["KiB", "MiB", "GiB", "TiB"]
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) value /= 1024, unit++
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`
}

function formatTime(iso) {
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString()
}

// builds an element; children are nodes or strings (as text, never as HTML); a false attribute is left out
function h(tag, attributes, ...children) {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === undefined || value === null) continue
    if (name === "value" && "value" in element) element.value = value
    else element.setAttribute(name, value === true ? "" : value)
  }
  for (const child of children) if (child !== "" && child !== undefined) element.append(child)
  return element
}
