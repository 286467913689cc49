/**
 * Crash-safe file primitives: atomic replace (temp, fsync, rename, fsync dir) and an exclusive lock file.
 * The prover's state store and the keeper's checkpoint use both.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CodedError } from "./errors";

export enum FileErrorCode {
  /** The lock is held by another (live, or on another host) process, or is being taken over. */
  Locked = "LOCKED",
}

export class FileError extends CodedError<FileErrorCode> {}

/** Writes `data` so that `file` holds either its old or its new contents, never a mix, after any crash. */
export function atomicWrite(file: string, data: string): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const fd = fs.openSync(tmp, "wx", 0o600);
    try {
      fs.writeSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true }); // the old file is untouched; leave no temp file behind
    throw e;
  }
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

/** A lock file that was never written (a crash between create and write) is stale after this long. */
const EMPTY_LOCK_STALE_MS = 10_000;

interface LockOwner {
  pid?: number;
  host?: string;
}

/**
 * An exclusive lock file (O_EXCL create). A lock left by a dead process on this host is taken over under
 * a short-lived guard file, so two processes can never both take over the same stale lock; one held by a
 * live process is a FileError (Locked) naming it.
 */
export class FileLock {
  private held = false;
  constructor(readonly file: string) {}

  acquire(): void {
    if (this.create()) return;
    const owner = this.owner();
    if (!this.isStale(owner)) throw this.locked(owner);
    const guard = `${this.file}.takeover`;
    let guardFd: number;
    try {
      guardFd = fs.openSync(guard, "wx", 0o600);
    } catch {
      throw new FileError(FileErrorCode.Locked, `another process is taking over the stale lock ${this.file}; retry`);
    }
    try {
      // under the guard: is it still the same stale lock? (someone may have taken it over meanwhile)
      const now = this.owner();
      if (now !== undefined && (now.pid !== owner?.pid || !this.isStale(now))) throw this.locked(now);
      fs.rmSync(this.file, { force: true });
      if (!this.create()) throw this.locked(this.owner());
    } finally {
      fs.closeSync(guardFd);
      fs.rmSync(guard, { force: true });
    }
  }

  release(): void {
    if (this.held) fs.rmSync(this.file, { force: true });
    this.held = false;
  }

  private create(): boolean {
    try {
      const fd = fs.openSync(this.file, "wx", 0o600);
      fs.writeSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname(), at: new Date().toISOString() }));
      fs.closeSync(fd);
      this.held = true;
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      return false;
    }
  }

  /** The lock's owner, {} for an unreadable (being written) lock, undefined if there is no lock. */
  private owner(): LockOwner | undefined {
    try {
      const text = fs.readFileSync(this.file, "utf8");
      try {
        return JSON.parse(text) as LockOwner;
      } catch {
        return {};
      }
    } catch {
      return undefined;
    }
  }

  private isStale(owner: LockOwner | undefined): boolean {
    if (owner === undefined) return true;
    if (owner.pid === undefined) {
      try {
        return Date.now() - fs.statSync(this.file).mtimeMs > EMPTY_LOCK_STALE_MS;
      } catch {
        return true;
      }
    }
    return owner.host === os.hostname() && !alive(owner.pid);
  }

  private locked(owner: LockOwner | undefined): FileError {
    return new FileError(
      FileErrorCode.Locked,
      `the state is in use by another process (pid ${owner?.pid ?? "?"} on ${owner?.host ?? "?"}); lock ${this.file}`,
    );
  }
}
