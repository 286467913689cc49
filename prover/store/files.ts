/** Crash-safe file primitives: atomic replace (temp, fsync, rename, fsync dir) and an exclusive lock. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { StoreError, StoreErrorCode } from "./errors";

/** Writes `data` so that `file` holds either its old or its new contents, never a mix, after any crash. */
export function atomicWrite(file: string, data: string): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const fd = fs.openSync(tmp, "wx", 0o600);
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  const dfd = fs.openSync(dir, "r");
  try {
    fs.fsyncSync(dfd);
  } finally {
    fs.closeSync(dfd);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * An exclusive lock next to the state file (O_EXCL create). A lock left by a dead process on this host
 * is taken over; one held by a live process is an error naming it.
 */
export class FileLock {
  private held = false;
  constructor(readonly file: string) {}

  acquire(): void {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = fs.openSync(this.file, "wx", 0o600);
        fs.writeSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname(), at: new Date().toISOString() }));
        fs.closeSync(fd);
        this.held = true;
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        let owner: { pid?: number; host?: string } = {};
        try {
          owner = JSON.parse(fs.readFileSync(this.file, "utf8"));
        } catch {
          /* a lock being written right now: treat as held */
        }
        const stale = owner.pid !== undefined && owner.host === os.hostname() && !alive(owner.pid);
        if (!stale) {
          throw new StoreError(StoreErrorCode.Locked, `the state is in use by another process (pid ${owner.pid ?? "?"} on ${owner.host ?? "?"}); lock ${this.file}`);
        }
        fs.rmSync(this.file, { force: true });
      }
    }
    throw new StoreError(StoreErrorCode.Locked, `could not take the lock ${this.file}`);
  }

  release(): void {
    if (this.held) fs.rmSync(this.file, { force: true });
    this.held = false;
  }
}
