import * as fs from "node:fs";

/** Debian's chromium (.ci/run installs it when missing): the real binary behind the /usr/bin wrapper. */
export function chromiumPath(): string | undefined {
  return ["/usr/lib/chromium/chromium", "/usr/bin/chromium"].find((p) => fs.existsSync(p));
}

/** Headless flags for the dashboard's test and bench: no sandbox (root in CI), no network of its own. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
