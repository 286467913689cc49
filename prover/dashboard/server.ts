/**
 * The daemon's local dashboard: a read-only web page on 127.0.0.1 only. Every request (the page, its
 * scripts, the state it polls) needs the random access token printed when the daemon starts (as
 * `?token=` or `Authorization: Bearer`), compared in constant time; the Host header must name this
 * server (no DNS rebinding); only GET and HEAD are served; the page loads nothing from anywhere else
 * (Content-Security-Policy 'self', uPlot served from the local npm package, no fonts, no CDN).
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { ROOT } from "../../core/artifacts";
import { toJson } from "../service/units";

const STATIC = path.join(ROOT, "prover", "dashboard", "static");

/** Files served, by URL path. uPlot comes from node_modules (installed with the project), never a CDN. */
function files(): Record<string, { file: string; type: string }> {
  const uplot = path.dirname(require.resolve("uplot/package.json"));
  return {
    "/": { file: path.join(STATIC, "index.html"), type: "text/html; charset=utf-8" },
    "/app.js": { file: path.join(STATIC, "app.js"), type: "text/javascript; charset=utf-8" },
    "/style.css": { file: path.join(STATIC, "style.css"), type: "text/css; charset=utf-8" },
    "/uplot.js": { file: path.join(uplot, "dist", "uPlot.iife.min.js"), type: "text/javascript; charset=utf-8" },
    "/uplot.css": { file: path.join(uplot, "dist", "uPlot.min.css"), type: "text/css; charset=utf-8" },
  };
}

const HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cache-control": "no-store",
  "cross-origin-resource-policy": "same-origin",
};

export interface Dashboard {
  readonly url: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

export interface DashboardOptions {
  /** 0 (default): any free port. */
  readonly port?: number;
  /** The state document the page polls (built by the daemon after each tick). */
  readonly state: () => unknown;
  readonly token?: string;
}

export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const token = o.token ?? randomBytes(24).toString("hex");
  const expected = Buffer.from(token);
  const table = files();
  const cache = new Map<string, Buffer>();
  const read = (f: string) => {
    let b = cache.get(f);
    if (!b) {
      b = fs.readFileSync(f);
      cache.set(f, b);
    }
    return b;
  };
  let port = 0;
  const server = http.createServer((req, res) => {
    const send = (status: number, body: string | Buffer, type = "text/plain; charset=utf-8") => {
      res.writeHead(status, { ...HEADERS, "content-type": type });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    const host = (req.headers.host ?? "").toLowerCase();
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return send(421, "wrong host\n");
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      return send(405, "read-only\n");
    }
    const url = new URL(req.url ?? "/", `http://127.0.0.1:${port}`);
    const auth = req.headers.authorization?.startsWith("Bearer ") ? req.headers.authorization.slice(7) : undefined;
    const given = Buffer.from(url.searchParams.get("token") ?? auth ?? "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return send(401, "this dashboard needs its access token: open the URL the daemon printed\n");
    }
    if (url.pathname === "/api/state") return send(200, toJson(o.state()), "application/json; charset=utf-8");
    const f = table[url.pathname];
    if (!f) return send(404, "not found\n");
    if (url.pathname === "/") {
      const html = read(f.file).toString("utf8").replaceAll("__TOKEN__", token);
      return send(200, html, f.type);
    }
    return send(200, read(f.file), f.type);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? 0, "127.0.0.1", () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
