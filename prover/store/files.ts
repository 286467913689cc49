/**
 * The state store's file primitives (core/files.ts), with a lock conflict reported as the store's own
 * StoreError (Locked), which the CLI and daemon tell apart.
 */
import { FileError, FileErrorCode, FileLock as CoreFileLock, type WaitOptions } from "../../core/files";
import { StoreError, StoreErrorCode } from "./errors";

export { type WaitOptions, atomicWrite } from "../../core/files";

export class FileLock extends CoreFileLock {
  override acquire(): void {
    try {
      super.acquire();
    } catch (e) {
      if (e instanceof FileError && e.code === FileErrorCode.Locked)
        throw new StoreError(StoreErrorCode.Locked, e.message);
      throw e;
    }
  }

  override async acquireWait(o: WaitOptions = {}): Promise<void> {
    try {
      await super.acquireWait(o);
    } catch (e) {
      if (e instanceof FileError && e.code === FileErrorCode.Locked)
        throw new StoreError(StoreErrorCode.Locked, e.message);
      throw e;
    }
  }
}
