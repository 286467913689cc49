/**
 * Crash-safe file primitives: atomic replace (temp, fsync, rename, fsync dir) and an exclusive lock file.
 * The prover's state store and the keeper's checkpoint use both.
 *
 * The lock file appears whole or not at all: its contents are written to a private temp file first and
 * linked into place (link(2) fails with EEXIST when the lock exists), so a full disk or a crash while
 * writing never leaves an empty lock behind. A lock is taken over (under a short-lived guard file, so two
 * processes never both take over the same stale lock) when its owner is dead on this host (no such
 * process, a zombie, or another process that reuses the pid: the owner's start time is in the lock), or
 * when the file is empty or unreadable (an older writer's leftover) and older than a few seconds.
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

/** A file operation the fault hook can fail (tests simulate a full disk with it). */
export type FileOp = "lock-write" | "write" | "rename";
export type FileFaultHook = (op: FileOp, file: string) => void;

let faultHook: FileFaultHook | undefined;

/**
 * TEST ONLY: calls `hook` before each lock write, temp-file write and rename; it may throw (ENOSPC...).
 * Child processes get the same through ZKMARGIN_FS_FAULT=<op>:<errno code>, e.g. `lock-write:ENOSPC`.
 */
export function setFileFaultHook(hook?: FileFaultHook): void {
  faultHook = hook;
}

function fault(op: FileOp, file: string): void {
  faultHook?.(op, file);
  const spec = process.env.ZKMARGIN_FS_FAULT;
  if (!spec) return;
  const [at, code] = spec.split(":");
  if (at === op) {
    throw Object.assign(new Error(`${code}: ${op === "lock-write" ? "write" : op} ${file} failed (injected)`), {
      code,
    });
  }
}

/** Writes `data` so that `file` holds either its old or its new contents, never a mix, after any crash. */
export function atomicWrite(file: string, data: string): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const fd = fs.openSync(tmp, "wx", 0o600);
    try {
      fault("write", file);
      fs.writeSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fault("rename", file);
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

/** Field 22 of /proc/<pid>/stat (start time in clock ticks) and the state letter, or undefined. */
function procStat(pid: number): { state: string; start: string } | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) S ppid ...": comm may hold spaces and parentheses, so split after the last ")"
    const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: rest[0], start: rest[19] };
  } catch {
    return undefined;
  }
}

/** This process's start time (Linux), recorded in the lock so a reused pid is not taken for the owner. */
const SELF_START = procStat(process.pid)?.start;

function alive(pid: number, start?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const stat = procStat(pid);
  if (stat === undefined) return true; // no /proc (not Linux): kill(0) is all we know
  if (stat.state === "Z" || stat.state === "X") return false; // killed, not yet reaped by its parent
  return start === undefined || stat.start === start;
}

/** A lock file that is empty or unreadable (a crash of an older writer) is stale after this long. */
export const UNREADABLE_LOCK_STALE_MS = 3_000;

export interface LockOwner {
  pid?: number;
  host?: string;
  /** Start time of the owner process (Linux clock ticks since boot). */
  start?: string;
  /** What holds it ("cli", "daemon", "keeper"): never anything private. */
  role?: string;
  at?: string;
}

export interface WaitOptions {
  /** Give up (FileError Locked) after this long; default: wait for ever. */
  timeoutMs?: number;
  /** Poll interval (default 200 ms). */
  pollMs?: number;
  /** Called when the wait starts and then every `reportEveryMs` (default 10 s) with the owner. */
  onWait?: (owner: LockOwner | undefined, waitedMs: number) => void;
  reportEveryMs?: number;
  signal?: AbortSignal;
}

/**
 * An exclusive lock file. A lock left by a dead process on this host, or an unreadable one older than a
 * few seconds, is taken over under a guard file; one held by a live process is a FileError (Locked)
 * naming it. acquireWait() waits for it instead.
 */
export class FileLock {
  private held = false;
  constructor(
    readonly file: string,
    readonly role?: string,
  ) {}

  get isHeld(): boolean {
    return this.held;
  }

  acquire(): void {
    this.acquireOnce();
  }

  /** One attempt (acquire() and the loop of acquireWait(); subclasses map its errors in those). */
  protected acquireOnce(): void {
    if (this.create()) return;
    const owner = this.owner();
    if (!this.isStale(owner)) throw this.locked(owner);
    const guard = `${this.file}.takeover`;
    let guardFd: number;
    try {
      guardFd = fs.openSync(guard, "wx", 0o600);
    } catch {
      this.clearStaleGuard(guard);
      throw new FileError(FileErrorCode.Locked, `another process is taking over the stale lock ${this.file}; retry`);
    }
    try {
      fs.writeSync(guardFd, JSON.stringify({ pid: process.pid, host: os.hostname() }));
    } catch {
      // an empty guard still guards; it is cleared by age if this process dies now
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

  /** Waits until the lock is free (or stale) and takes it. */
  async acquireWait(o: WaitOptions = {}): Promise<void> {
    const t0 = Date.now();
    const every = o.reportEveryMs ?? 10_000;
    let reported = -Infinity;
    for (;;) {
      try {
        this.acquireOnce();
        return;
      } catch (e) {
        if (!(e instanceof FileError) || e.code !== FileErrorCode.Locked) throw e;
        const waited = Date.now() - t0;
        if (o.timeoutMs !== undefined && waited >= o.timeoutMs) {
          throw new FileError(FileErrorCode.Locked, `${e.message} (waited ${Math.round(waited / 1000)} s)`);
        }
        if (o.signal?.aborted) throw e;
        if (waited - reported >= every) {
          reported = waited;
          o.onWait?.(this.owner(), waited);
        }
      }
      await new Promise((r) => setTimeout(r, o.pollMs ?? 200));
    }
  }

  release(): void {
    if (this.held) {
      // only remove our own lock (a takeover by another process after a long pause is theirs now)
      const owner = this.owner();
      if (owner === undefined || (owner.pid === process.pid && owner.host === os.hostname()))
        fs.rmSync(this.file, { force: true });
    }
    this.held = false;
  }

  /** The current owner (or undefined: no lock). */
  peek(): LockOwner | undefined {
    return this.owner();
  }

  /** Creates the lock whole (temp file + link), or returns false when it exists. */
  private create(): boolean {
    const tmp = `${this.file}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`;
    const me: LockOwner = {
      pid: process.pid,
      host: os.hostname(),
      ...(SELF_START ? { start: SELF_START } : {}),
      ...(this.role ? { role: this.role } : {}),
      at: new Date().toISOString(),
    };
    try {
      const fd = fs.openSync(tmp, "wx", 0o600);
      try {
        fault("lock-write", this.file);
        fs.writeSync(fd, JSON.stringify(me));
      } finally {
        fs.closeSync(fd);
      }
      try {
        fs.linkSync(tmp, this.file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
        throw e;
      }
      this.held = true;
      return true;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }

  /** The lock's owner, {} for an unreadable (empty or garbled) lock, undefined if there is no lock. */
  private owner(): LockOwner | undefined {
    let text: string;
    try {
      text = fs.readFileSync(this.file, "utf8");
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === "ENOENT" ? undefined : {};
    }
    try {
      const o = JSON.parse(text) as LockOwner;
      return o !== null && typeof o === "object" ? o : {};
    } catch {
      return {};
    }
  }

  private isStale(owner: LockOwner | undefined): boolean {
    if (owner === undefined) return true;
    if (typeof owner.pid !== "number") {
      try {
        return Date.now() - fs.statSync(this.file).mtimeMs > UNREADABLE_LOCK_STALE_MS;
      } catch {
        return true;
      }
    }
    return owner.host === os.hostname() && !alive(owner.pid, owner.start);
  }

  /** A guard left by a process killed during a takeover (its owner dead, or unreadable and old). */
  private clearStaleGuard(guard: string): void {
    try {
      const st = fs.statSync(guard);
      let o: LockOwner = {};
      try {
        o = JSON.parse(fs.readFileSync(guard, "utf8")) as LockOwner;
      } catch {
        /* empty guard */
      }
      const dead = typeof o.pid === "number" ? o.host === os.hostname() && !alive(o.pid) : false;
      if (dead || Date.now() - st.mtimeMs > 10 * UNREADABLE_LOCK_STALE_MS) fs.rmSync(guard, { force: true });
    } catch {
      /* gone already */
    }
  }

  private locked(owner: LockOwner | undefined): FileError {
    const who =
      owner?.pid === undefined
        ? `a lock being written or left unreadable (taken over after ${UNREADABLE_LOCK_STALE_MS / 1000} s)`
        : `pid ${owner.pid}${owner.role ? `, ${owner.role}` : ""} on ${owner.host ?? "?"}`;
    return new FileError(FileErrorCode.Locked, `the state is in use by another process (${who}); lock ${this.file}`);
  }
}
