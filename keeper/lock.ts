/**
 * One keeper process per checkpoint file: `<checkpoint>.lock`, the same crash-safe lock the trader's
 * prover uses (core/files.ts: O_EXCL create; a dead process's lock is taken over under a guard, so two
 * keepers can never both take over the same stale lock).
 */
import { FileError, FileErrorCode, FileLock } from "../core/files";
import { KeeperError, KeeperErrorCode } from "./errors";

export interface Lock {
  release(): void;
}

export function acquireLock(checkpointFile: string): Lock {
  const lock = new FileLock(`${checkpointFile}.lock`);
  try {
    lock.acquire();
  } catch (e) {
    if (e instanceof FileError && e.code === FileErrorCode.Locked) {
      throw new KeeperError(
        KeeperErrorCode.Locked,
        `another keeper uses ${checkpointFile}; give each keeper its own checkpointFile (${e.message})`,
      );
    }
    throw e;
  }
  return { release: () => lock.release() };
}
