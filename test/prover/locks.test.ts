import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { FileError, FileErrorCode, FileLock, UNREADABLE_LOCK_STALE_MS, setFileFaultHook } from "../../core/files";
import { StoreError, StoreErrorCode } from "../../prover/store/errors";
import { FileLock as StoreLock } from "../../prover/store/files";

/**
 * The state lock (core/files.ts): created whole (temp file + link), so a full disk never leaves an
 * unusable lock; taken over, under its guard, when its owner is dead on this host (exited, a zombie, or
 * a reused pid) or when it is empty/unreadable and older than a few seconds; waited for otherwise.
 * The end-to-end cases (a CLI killed with SIGKILL, a CLI that hits ENOSPC) are in cli.test.ts.
 */
describe("State lock: stale takeover, whole creation, waiting", function () {
  this.timeout(30_000);
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkm-lock-"));
    file = path.join(dir, "state.json.lock");
  });
  afterEach(() => {
    setFileFaultHook(undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const owner = () => JSON.parse(fs.readFileSync(file, "utf8")) as { pid: number; host: string; role?: string };
  const locked = (fn: () => void): FileError => {
    try {
      fn();
    } catch (e) {
      expect(e).to.be.instanceOf(FileError);
      expect((e as FileError).code).to.equal(FileErrorCode.Locked);
      return e as FileError;
    }
    return expect.fail("expected Locked");
  };
  const age = (f: string, ms: number) => {
    const t = new Date(Date.now() - ms);
    fs.utimesSync(f, t, t);
  };

  it("writes pid, host, start time and role, and releases only its own lock", () => {
    const a = new FileLock(file, "cli");
    a.acquire();
    expect(owner()).to.include({ pid: process.pid, host: os.hostname(), role: "cli" });
    expect(fs.readdirSync(dir)).to.deep.equal(["state.json.lock"]);
    const e = locked(() => new FileLock(file).acquire());
    expect(e.message).to.include(`pid ${process.pid}, cli on ${os.hostname()}`);
    new FileLock(file).release(); // not held: a no-op
    expect(fs.existsSync(file)).to.equal(true);
    a.release();
    expect(fs.existsSync(file)).to.equal(false);
  });

  it("takes over the lock of an exited process, and of a pid now used by another process (start time differs)", () => {
    const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
    fs.writeFileSync(file, JSON.stringify({ pid: dead, host: os.hostname() }));
    const l = new FileLock(file);
    l.acquire();
    expect(owner().pid).to.equal(process.pid);
    l.release();
    // the parent of this process is alive, but it is not the process that wrote this lock
    fs.writeFileSync(file, JSON.stringify({ pid: process.ppid, host: os.hostname(), start: "1" }));
    l.acquire();
    expect(owner().pid).to.equal(process.pid);
    l.release();
    // the live parent with no start time recorded (an older lock): it stays
    fs.writeFileSync(file, JSON.stringify({ pid: process.ppid, host: os.hostname() }));
    expect(locked(() => l.acquire()).message).to.include(`pid ${process.ppid}`);
  });

  it("takes over the lock of a process killed with SIGKILL and not yet reaped (a zombie)", async function () {
    if (process.platform !== "linux") this.skip();
    // sh runs node in the background, then becomes `sleep`, which never reaps it: after SIGKILL the node
    // process stays a zombie whose pid still answers kill(pid, 0)
    const script = `const { FileLock } = require("${path.join(__dirname, "../../core/files")}"); new FileLock(process.argv[1], "cli").acquire(); console.log(process.pid); setInterval(() => {}, 1000);`;
    const sh = spawn(
      "sh",
      ["-c", `${process.execPath} -r ts-node/register/transpile-only -e '${script}' '${file}' & exec sleep 60`],
      { cwd: path.join(__dirname, "../.."), stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      const pid = await new Promise<number>((resolve) =>
        sh.stdout!.once("data", (d) => resolve(Number(String(d).trim()))),
      );
      expect(owner().pid).to.equal(pid);
      process.kill(pid, "SIGKILL");
      await new Promise((r) => setTimeout(r, 200));
      expect(() => process.kill(pid, 0), "a zombie still answers kill(0)").to.not.throw();
      expect(fs.readFileSync(`/proc/${pid}/stat`, "utf8")).to.match(/\) Z /);
      const l = new FileLock(file);
      l.acquire();
      expect(owner().pid).to.equal(process.pid);
      l.release();
    } finally {
      sh.kill("SIGKILL");
    }
  });

  it(`takes over an empty or garbled lock only once it is older than ${UNREADABLE_LOCK_STALE_MS / 1000} s`, () => {
    for (const content of ["", "{not json", "null"]) {
      fs.writeFileSync(file, content);
      const l = new FileLock(file);
      expect(locked(() => l.acquire()).message, JSON.stringify(content)).to.include("being written or left unreadable");
      expect(fs.readFileSync(file, "utf8")).to.equal(content);
      age(file, UNREADABLE_LOCK_STALE_MS + 1_000);
      l.acquire();
      expect(owner().pid).to.equal(process.pid);
      l.release();
    }
  });

  it("never leaves a lock behind when writing it fails (ENOSPC): the next acquire succeeds at once", () => {
    setFileFaultHook((op) => {
      if (op === "lock-write")
        throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    });
    expect(() => new FileLock(file).acquire()).to.throw(/ENOSPC/);
    expect(fs.readdirSync(dir), "no lock and no temp file").to.deep.equal([]);
    setFileFaultHook(undefined);
    const l = new FileLock(file);
    l.acquire();
    expect(owner().pid).to.equal(process.pid);
    l.release();
  });

  it("the injected fault also reaches child processes (ZKMARGIN_FS_FAULT)", () => {
    const r = spawnSync(
      process.execPath,
      [
        "-r",
        "ts-node/register/transpile-only",
        "-e",
        `new (require("./core/files").FileLock)(${JSON.stringify(file)}).acquire()`,
      ],
      {
        cwd: path.join(__dirname, "../.."),
        env: { ...process.env, ZKMARGIN_FS_FAULT: "lock-write:ENOSPC" },
        encoding: "utf8",
      },
    );
    expect(r.status).to.not.equal(0);
    expect(r.stderr).to.include("ENOSPC");
    expect(fs.existsSync(file)).to.equal(false);
  });

  it("a stale lock seen by two processes is taken over by only one of them (the guard)", () => {
    fs.writeFileSync(file, JSON.stringify({ pid: 999_999, host: os.hostname() }));
    const first = new FileLock(file);
    const second = new FileLock(file);
    // `second` holds the guard and is about to remove the stale lock when `first` tries: refused
    fs.writeFileSync(`${file}.takeover`, JSON.stringify({ pid: process.pid, host: os.hostname() }));
    expect(locked(() => first.acquire()).message).to.include("taking over");
    fs.rmSync(`${file}.takeover`);
    second.acquire();
    expect(locked(() => first.acquire()).message).to.include(`pid ${process.pid}`);
    second.release();
  });

  it("clears a guard left by a process killed during a takeover", () => {
    fs.writeFileSync(file, JSON.stringify({ pid: 999_999, host: os.hostname() }));
    fs.writeFileSync(`${file}.takeover`, JSON.stringify({ pid: 999_998, host: os.hostname() }));
    const l = new FileLock(file);
    expect(() => l.acquire()).to.throw(/taking over/);
    l.acquire(); // the dead guard was cleared by the first attempt
    l.release();
  });

  it("does not take over a lock of another host", () => {
    fs.writeFileSync(file, JSON.stringify({ pid: 999_999, host: "another-host" }));
    expect(locked(() => new FileLock(file).acquire()).message).to.include("another-host");
  });

  it("acquireWait waits for the holder (reporting who holds it) and times out with Locked", async () => {
    const holder = new FileLock(file, "cli");
    holder.acquire();
    const seen: (number | undefined)[] = [];
    const waiter = new FileLock(file, "daemon");
    const t0 = Date.now();
    setTimeout(() => holder.release(), 600);
    await waiter.acquireWait({ pollMs: 50, onWait: (o) => seen.push(o?.pid) });
    expect(Date.now() - t0).to.be.within(500, 5_000);
    expect(seen[0]).to.equal(process.pid);
    expect(owner().role).to.equal("daemon");
    const again = new StoreLock(file);
    const e = await again.acquireWait({ timeoutMs: 300, pollMs: 50 }).catch((x: unknown) => x);
    expect(e).to.be.instanceOf(StoreError);
    expect((e as StoreError).code).to.equal(StoreErrorCode.Locked);
    expect((e as Error).message).to.match(/waited 0 s/);
    waiter.release();
  });
});
