/**
 * One keeper process per checkpoint file: `<checkpoint>.lock` holds the owner's pid, created with
 * O_EXCL. A lock whose process is gone (a crash, kill -9) is taken over.
 */
import * as fs from "node:fs";
import { KeeperError, KeeperErrorCode } from "./errors";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface Lock {
  release(): void;
}

export function acquireLock(checkpointFile: string): Lock {
  const file = `${checkpointFile}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: "wx" });
      return {
        release: () => {
          try {
            if (fs.readFileSync(file, "utf8") === String(process.pid)) fs.unlinkSync(file);
          } catch {
            /* already gone */
          }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const pid = Number.parseInt(fs.readFileSync(file, "utf8"), 10);
      if (Number.isInteger(pid) && pid !== process.pid && alive(pid)) {
        throw new KeeperError(KeeperErrorCode.Locked, `another keeper (pid ${pid}) uses ${checkpointFile}; give each keeper its own checkpointFile`);
      }
      fs.rmSync(file, { force: true }); // stale lock of a dead process
    }
  }
  throw new KeeperError(KeeperErrorCode.Locked, `could not lock ${file}`);
}
