// The interactive documentation page in a real browser: Debian's Chromium driven by playwright-core
// opens /docs on a running armbridge, finds every operation listed, saves a screenshot, and no request
// the page makes leaves loopback.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ServerType, serve } from "@hono/node-server";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../helpers/harness.ts";
import { loadContract } from "../helpers/openapi.ts";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

describe("the /docs page in Chromium", () => {
  let h: Harness;
  let server: ServerType;
  let baseUrl: string;
  let context: BrowserContext;
  const profile = mkdtempSync(join(tmpdir(), "armbridge-chromium-"));

  beforeAll(async () => {
    h = await startHarness();
    await new Promise<void>((resolve) => {
      server = serve({ fetch: h.runtime.app.fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => {
        baseUrl = `http://127.0.0.1:${info.port}`;
        resolve();
      });
    });
    // Debian's package (CI installs it when missing); playwright-core never downloads a browser.
    const executablePath = execFileSync("which", ["chromium"], { encoding: "utf8" }).trim();
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: FLAGS,
    });
  }, 60_000);
  afterAll(async () => {
    await context?.close();
    await new Promise((resolve) => server?.close(resolve));
    await h?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  it("lists every operation of the contract, with nothing loaded from outside", async () => {
    const requests: string[] = [];
    const outside: string[] = [];
    const consoleErrors: string[] = [];
    // Anything bound elsewhere is recorded and never sent.
    await context.route("**/*", (route) => {
      const url = route.request().url();
      requests.push(url);
      if (url.startsWith("data:") || LOOPBACK.has(new URL(url).hostname)) return route.continue();
      outside.push(url);
      return route.abort();
    });
    const page = await context.newPage();
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    const response = await page.goto(`${baseUrl}/docs`);
    expect(response?.status()).toBe(200);

    const documented = loadContract().operations;
    const blocks = page.locator(".opblock");
    await expect.poll(() => blocks.count(), { timeout: 20_000 }).toBe(documented.length);
    const listed = await page
      .locator(".opblock-summary-path")
      .evaluateAll((nodes) => nodes.map((n) => n.getAttribute("data-path")));
    expect(new Set(listed)).toEqual(new Set(documented.map((op) => op.path)));
    await expect.poll(() => page.locator(".opblock-tag").count()).toBeGreaterThanOrEqual(7);

    mkdirSync("test-results", { recursive: true });
    await page.screenshot({ path: "test-results/docs.png", fullPage: true });

    expect(outside).toEqual([]);
    expect(requests.some((url) => url.endsWith("/openapi.json"))).toBe(true);
    expect(requests.every((url) => url.startsWith(baseUrl) || url.startsWith("data:"))).toBe(true);
    // A Content-Security-Policy violation would show here: the page needs nothing it does not allow.
    expect(consoleErrors).toEqual([]);
  }, 60_000);
});
