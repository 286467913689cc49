/**
 * The privacy audit a user can run against any deployment (issue 9 item 7; docs/privacy.md):
 *
 *   npm run audit -- --rpc URL --registry ADDR [--account A] [--from-block N] [--to-block N]
 *                    [--scan-blocks] [--json]
 *
 * Decodes every event and transaction of the registry, the insurance fund and the risk engine, and
 * prints per account what is public, what each attack recovers (exactly, or only a bound), and the bounds
 * that follow from its solvency facts. Exits 0 when the audit ran, whatever it found; 2 on bad input.
 * It only reads: it never sends a transaction.
 */
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { JsonRpcProvider, isAddress, getAddress } from "ethers";
import { formatReport, reportJson, runAudit } from "./lib/audit";

class InputError extends Error {}

function address(what: string) {
  return (v: string): string => {
    if (!isAddress(v)) throw new InvalidArgumentError(`${what} "${v}" is not an address (0x + 40 hex digits)`);
    return getAddress(v);
  };
}

function block(v: string): number {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`"${v}" is not a block number`);
  return Number(v);
}

async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name("npm run audit --")
    .description("privacy audit: what the chain reveals about each zkmargin account")
    .requiredOption("--rpc <url>", "JSON-RPC endpoint (an archive node is not needed)")
    .requiredOption("--registry <address>", "the ZkMarginRegistry address", address("registry"))
    .option("--account <address>", "report only this account", address("account"))
    .option("--from-block <n>", "first block to read (the deployment block)", block)
    .option("--to-block <n>", "last block to read (default: the head)", block)
    .option("--scan-blocks", "scan every block for reverted registry calls (default for ranges up to 5,000 blocks)")
    .option("--json", "print the report as JSON")
    .showHelpAfterError()
    .exitOverride();
  try {
    program.parse(argv);
  } catch (e) {
    // commander has printed the message (or the help) already
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    throw e;
  }
  const o = program.opts<{
    rpc: string;
    registry: string;
    account?: string;
    fromBlock?: number;
    toBlock?: number;
    scanBlocks?: boolean;
    json?: boolean;
  }>();
  if (!/^(https?|wss?):\/\//.test(o.rpc)) throw new InputError(`--rpc "${o.rpc}" is not an http(s) or ws(s) URL`);
  const provider = new JsonRpcProvider(o.rpc, undefined, { staticNetwork: true });
  try {
    await provider.getBlockNumber();
  } catch (e) {
    throw new InputError(`cannot reach ${o.rpc}: ${(e as Error).message}`);
  }
  if ((await provider.getCode(o.registry)) === "0x") {
    throw new InputError(`${o.registry} has no code on this chain: is it the registry's address?`);
  }
  const { report } = await runAudit(provider, o.registry, {
    account: o.account,
    fromBlock: o.fromBlock,
    toBlock: o.toBlock,
    scanBlocks: o.scanBlocks,
    progress: (l) => process.stderr.write(`${l}\n`),
  });
  if (o.account && report.accounts.length === 0) {
    process.stderr.write(`no account ${o.account} in blocks ${report.fromBlock}..${report.toBlock}\n`);
  }
  process.stdout.write(`${o.json ? reportJson(report) : formatReport(report)}\n`);
  provider.destroy();
}

main(process.argv).catch((e: unknown) => {
  process.stderr.write(`audit: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = e instanceof InputError ? 2 : 1;
});
