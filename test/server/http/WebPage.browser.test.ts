/**
 * The web page in a real browser: Debian's headless Chromium, driven by playwright-core (which downloads no browser
 * of its own), against a whole server with its HTTP gateway on loopback. It does what a researcher would: reads the
 * status, searches and pages through results, opens an object, downloads a component (the bytes must be those
 * stored), saves a token and uploads a file (progress shown, the new component listed, its bytes stored), and finds a
 * paper's equations (each rendered by KaTeX beside its region of the PDF page). A screenshot of each view is kept in
 * `test-artifacts/screenshots/`, and the page must log no error on the way.
 *
 * The steps are one test, in order, because each builds on the one before (the upload needs the token, the
 * listing the upload); the browser and its pages are plain promises, kept out of the Effect code.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import * as NodePath from "node:path"
import { chromium, type BrowserContext, type Page } from "playwright-core"
import * as DoipClient from "../../../src/client/DoipClient.ts"
import { GatewayAddress } from "../../../src/server/http/GatewayAddress.ts"
import { concatBytes } from "../../support/Random.ts"
import { layerClient, layerServerWithHttp, seed, token } from "../../support/TestServer.ts"

const chromiumPath = "/usr/bin/chromium"
const screenshots = NodePath.resolve("test-artifacts/screenshots")
const paper = new Uint8Array(readFileSync("test/fixtures/papers/heat-kernel.pdf"))
const table = new TextEncoder().encode("x,y\n1,2\n3,5\n")
const notes = new TextEncoder().encode("measured on 2024-05-01\n".repeat(20_000))

const server = layerClient({ credentials: { token } }).pipe(Layer.provideMerge(layerServerWithHttp()))
const baseUrl = Effect.map(GatewayAddress, ({ port }) => `http://127.0.0.1:${port}/`)

/** the objects the page is shown: a paper, a table, and enough notes for three pages of ten results */
const seedObjects = Effect.gen(function*() {
  yield* seed("Q123", "fulltext.pdf", paper, "application/pdf")
  yield* seed("Q124", "results.csv", table, "text/csv")
  for (let i = 0; i < 25; i++) yield* seed(`Q${300 + i}`, "notes.txt", `note ${i}`, "text/plain")
})

const storedBytes = (objectId: string, componentId: string) =>
  Effect.gen(function*() {
    const client = yield* DoipClient.DoipClient
    const component = yield* client.retrieve(objectId, componentId)
    return concatBytes(yield* Stream.runCollect(component.content))
  }).pipe(Effect.scoped)

// CI installs Chromium (.ci/run); elsewhere a machine without it skips rather than fails
const skip = !existsSync(chromiumPath) && process.env["CI"] !== "true"

layer(server, { excludeTestServices: true, timeout: "60 seconds" })("the web page in Chromium", (it) => {
  it.effect.skipIf(skip)("status, search, object, download, upload and equations, as a researcher uses them", () =>
    Effect.gen(function*() {
      yield* seedObjects
      const base = yield* baseUrl
      const browser = yield* Effect.acquireRelease(Effect.promise(() => launch()), (b) => Effect.promise(() => b.close()))
      const page = browser.context.pages()[0] ?? (yield* Effect.promise(() => browser.context.newPage()))
      yield* Effect.promise(() => home(page, base))
      yield* Effect.promise(() => search(page))
      const downloaded = yield* Effect.promise(() => objectAndDownload(page))
      assert.deepStrictEqual(downloaded, table)
      yield* Effect.promise(() => uploadWithToken(page))
      assert.deepStrictEqual(yield* storedBytes("Q124", "notes.txt"), notes)
      yield* Effect.promise(() => equations(page))
      yield* Effect.promise(() => phone(page, base))
      // the one refusal asked for, and nothing else went wrong
      assert.deepStrictEqual(browser.problems, [`401 PUT ${base}doip/objects/Q124/components/notes.txt`])
    }), 240_000)
})

interface Browser {
  readonly context: BrowserContext
  /** console errors, page errors, failed requests and error answers seen on the way */
  readonly problems: Array<string>
  readonly close: () => Promise<void>
}

async function launch(): Promise<Browser> {
  mkdirSync(screenshots, { recursive: true })
  // a fresh profile each run; without the background-networking flags Chromium's connections are refused on a
  // closed network
  const profile = mkdtempSync(NodePath.join(tmpdir(), "doip-chromium-"))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1100, height: 900 },
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"
    ]
  })
  const problems: Array<string> = []
  context.on("page", (page) => watch(page, problems))
  for (const page of context.pages()) watch(page, problems)
  return {
    context,
    problems,
    close: async () => {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    }
  }
}

function watch(page: Page, problems: Array<string>) {
  page.on("console", (message) => {
    // Chromium logs every error answer as "Failed to load resource"; the answers are recorded below, with their URL
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
      problems.push(`console: ${message.text()}`)
    }
  })
  page.on("response", (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} ${response.request().method()} ${response.url()}`)
  })
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`))
  page.on("requestfailed", (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`))
}

const shot = (page: Page, name: string) => page.screenshot({ path: NodePath.join(screenshots, `${name}.png`), fullPage: true })

async function home(page: Page, base: string) {
  await page.goto(base)
  const dependencies = page.locator(".deps li")
  await dependencies.first().waitFor()
  assert.include(await page.locator("#status-heading").textContent(), "Server status")
  const deps = await dependencies.allTextContents()
  assert.isAtLeast(deps.length, 2)
  for (const dep of deps) assert.match(dep, /^ok /)
  assert.include(await page.locator(".facts").first().textContent(), "effect-doip-test")
  // everything is listed at first, twenty to a page
  await page.locator(".results li").first().waitFor()
  assert.strictEqual(await page.locator(".results li").count(), 20)
  assert.include(await page.locator(".summary").textContent(), "1–20 of 27")
  await shot(page, "1-home")
}

async function search(page: Page) {
  // by keyboard: the search box is labelled and reached with Tab, submitted with Enter
  await page.getByLabel("Results per page").selectOption("10")
  await page.waitForURL(/size=10/)
  await page.getByLabel("Search objects").fill("note")
  await page.keyboard.press("Enter")
  await page.waitForURL(/q=note/)
  await page.locator(".summary", { hasText: "1–10 of 25" }).waitFor()
  await page.getByRole("button", { name: "Next →" }).click()
  await page.locator(".summary", { hasText: "11–20 of 25" }).waitFor()
  await page.getByRole("button", { name: "Next →" }).click()
  await page.locator(".summary", { hasText: "21–25 of 25" }).waitFor()
  assert.isTrue(await page.getByRole("button", { name: "Next →" }).isDisabled())
  await shot(page, "2-search")
  await page.getByLabel("Search objects").fill("results.csv")
  await page.getByRole("button", { name: "Search", exact: true }).click()
  await page.locator(".summary", { hasText: "1–1 of 1" }).waitFor()
}

async function objectAndDownload(page: Page): Promise<Uint8Array> {
  // the result is a link; following it with the keyboard opens the object's page
  await page.getByRole("link", { name: /Q124/ }).focus()
  await page.keyboard.press("Enter")
  await page.waitForURL(/#\/objects\/Q124$/)
  const row = page.locator("tr[data-component='results.csv']")
  await row.waitFor()
  assert.include(await row.textContent(), "text/csv")
  assert.include(await row.textContent(), `${table.length} B`)
  assert.match((await row.locator(".hash").textContent())!, /^sha256:[0-9a-f]{64}$/)
  assert.include(await page.locator("#upload-heading").locator("..").textContent(), "Enter a write token")
  await shot(page, "3-object")
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    row.getByRole("link", { name: "Download results.csv" }).click()
  ])
  assert.strictEqual(download.suggestedFilename(), "results.csv")
  return new Uint8Array(readFileSync((await download.path())!))
}

async function uploadWithToken(page: Page) {
  // a wrong token is refused, and said so
  await saveToken(page, "not-the-token")
  void chooseAndUpload(page)
  await page.locator(".upload-state .error").waitFor()
  assert.match((await page.locator(".upload-state .error").textContent())!, /Unauth|credential|token/i)
  await page.getByRole("button", { name: "Forget" }).click()
  assert.strictEqual(await page.evaluate("sessionStorage.getItem('doip-token')"), null)
  await saveToken(page, token)
  const progress = await chooseAndUpload(page)
  await page.locator("tr[data-component='notes.txt']").waitFor({ timeout: 30_000 })
  assert.include(await page.locator("tr[data-component='notes.txt']").textContent(), "text/plain")
  assert.include(await page.locator(".upload-state").textContent(), "Stored notes.txt")
  // the bar moved, up to the whole file
  assert.deepStrictEqual(progress, [notes.length, notes.length])
  await shot(page, "4-upload")
}

async function saveToken(page: Page, value: string) {
  await page.getByLabel("Write token").fill(value)
  await page.getByRole("button", { name: "Save" }).click()
  await page.locator("#upload-file").waitFor()
}

/** chooses the notes, uploads them, and answers the progress bar's last [value, max] before the form is redrawn */
async function chooseAndUpload(page: Page): Promise<[number, number]> {
  await page.getByLabel("File", { exact: true }).setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from(notes) })
  assert.strictEqual(await page.getByLabel("Component name").inputValue(), "notes.txt")
  // in the page (as a string: this project's types have no DOM)
  const last = page.evaluate<[number, number]>(`new Promise((resolve) => {
    const bar = document.querySelector("#upload-progress")
    let seen = [0, 0]
    new MutationObserver(() => {
      seen = [bar.value, bar.max]
      if (bar.value > 0 && bar.value === bar.max) resolve(seen)
    }).observe(bar, { attributes: true })
    setTimeout(() => resolve(seen), 30000)
  })`)
  await page.getByRole("button", { name: "Upload" }).click()
  return last
}

async function equations(page: Page) {
  await page.goto(page.url().replace(/#.*$/, "#/objects/Q123"))
  await page.getByLabel("Pages").fill("1")
  await page.getByRole("button", { name: "Find equations" }).click()
  const cards = page.locator("li.equation")
  await page.locator(".eq-state", { hasText: /equations? found\.$/ }).waitFor({ timeout: 120_000 })
  const count = await cards.count()
  assert.isAtLeast(count, 3)
  assert.strictEqual(await page.locator("li.equation .math .katex").count(), count)
  const crops = page.locator("li.equation .crop img")
  assert.strictEqual(await crops.count(), count)
  for (const size of await crops.evaluateAll((images: Array<any>) => images.map((i) => [i.naturalWidth, i.naturalHeight]))) {
    assert.isAbove(size[0]!, 50)
    assert.isAbove(size[1]!, 10)
  }
  const latex = await page.locator("li.equation textarea").first().inputValue()
  assert.isAbove(latex.length, 3)
  await cards.first().getByRole("button", { name: "Copy LaTeX" }).click()
  await cards.first().locator("[role=status]", { hasText: /Copied|Select/ }).waitFor()
  assert.include(await page.locator(".eq-state").textContent(), `${count} equations found.`)
  await shot(page, "5-equations")
}

async function phone(page: Page, base: string) {
  await page.setViewportSize({ width: 390, height: 844 })
  await page.goto(`${base}#/objects/Q124`)
  await page.locator("tr[data-component='notes.txt']").waitFor()
  // nothing wider than the phone: no sideways scrolling
  assert.isAtMost(await page.evaluate<number>("document.documentElement.scrollWidth"), 390)
  await shot(page, "6-phone-object")
  await page.goto(base)
  await page.locator(".results li").first().waitFor()
  assert.isAtMost(await page.evaluate<number>("document.documentElement.scrollWidth"), 390)
  await shot(page, "7-phone-home")
}
