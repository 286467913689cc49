#!/usr/bin/env node
/**
 * zkmargin trader CLI (`zkm`): every trader action, the private status view, predictive risk, backups and
 * the daemon. Secrets never go on the command line: the key comes from ZKMARGIN_PRIVATE_KEY or
 * --key-file, the passphrase from ZKMARGIN_PASSPHRASE or --passphrase-file. Exit codes: 0 ok, 1 failure,
 * 2 bad input. Compiled to dist/prover/cli.js by `npm run build:cli` (the `zkm` bin).
 */
import { main, processIo } from "./cli/main";

export { main, program, processIo, type Io } from "./cli/main";

if (require.main === module) {
  const ctrl = new AbortController();
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => ctrl.abort());
  main(process.argv, { ...processIo(), signal: ctrl.signal }).then((code) => {
    process.exitCode = code;
    // snarkjs keeps worker threads: leave once the command is done
    setTimeout(() => process.exit(code), 50).unref();
  });
}
