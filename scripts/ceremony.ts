/**
 * npm run ceremony -- <start|contribute|verify|beacon|export> ...: the phase-2 (circuit-specific)
 * Groth16 ceremony that makes PRODUCTION keys on a public powers-of-tau file. See docs/ceremony.md.
 *
 * Exit codes: 0 done, 1 failed (e.g. a zkey that does not verify), 2 bad arguments. Output files are
 * never overwritten without --force, and are written under a temporary name first, so an interrupted
 * step leaves nothing behind that looks finished.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Command, CommanderError } from "commander";
import { readR1cs } from "r1csfile";
import {
  BUILD_DIR,
  CIRCUIT_NAMES,
  type CircuitName,
  ROOT,
  VERIFIER_DIR,
  artifacts,
  verifierName,
} from "./lib/circuits";
import { snarkjs } from "./lib/run";
import { exportVerifier } from "./lib/verifier";

const DEFAULT_OUT_DIR = path.relative(ROOT, path.join(BUILD_DIR, "ceremony"));
const KEYS_LABEL = "PRODUCTION keys from the phase-2 ceremony";

/** Bad input: reported with exit code 2. */
class UsageError extends Error {}

function circuitName(name: string): CircuitName {
  const known = CIRCUIT_NAMES.find((c) => c === name);
  if (!known) throw new UsageError(`unknown circuit "${name}" (expected one of: ${CIRCUIT_NAMES.join(", ")})`);
  const r1cs = artifacts(known).r1cs;
  if (!fs.existsSync(r1cs))
    throw new UsageError(`${path.relative(ROOT, r1cs)} is missing: run \`npm run build\` first`);
  return known;
}

function existingFile(file: string, what: string): string {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new UsageError(`${what} file not found: ${file}`);
  return path.resolve(file);
}

function outputFile(file: string, force: boolean, input?: string): string {
  const out = path.resolve(file);
  if (input !== undefined && out === path.resolve(input))
    throw new UsageError(`output and input are the same file: ${file}`);
  if (fs.existsSync(out) && !force)
    throw new UsageError(`output file already exists: ${file} (pass --force to overwrite)`);
  return out;
}

function beaconHash(hex: string): string {
  const h = hex.replace(/^0x/i, "");
  if (!/^[0-9a-fA-F]{64}$/.test(h))
    throw new UsageError(`--hash must be 64 hex characters (32 bytes, optional 0x), got "${hex}"`);
  return h.toLowerCase();
}

function iterationsExp(n: string): string {
  if (/^\d+$/.test(n) && Number(n) >= 10 && Number(n) <= 63) return String(Number(n));
  throw new UsageError(`--iterations must be an integer from 10 to 63 (the beacon is hashed 2^n times), got "${n}"`);
}

function contributorName(name: string): string {
  if (name.trim() === "" || Buffer.byteLength(name) > 64)
    throw new UsageError(`--name must be 1 to 64 bytes, got "${name}"`);
  return name;
}

type BinFile = { has(section: number): boolean; read(section: number, offset: number, length: number): Buffer };

/** Opens an iden3 binary file (ptau, zkey) and gives `use` access to its sections, without loading it. */
function withBinFile<T>(file: string, magic: string, use: (f: BinFile) => T): T {
  const fd = fs.openSync(file, "r");
  try {
    const at = (pos: number, len: number): Buffer => {
      const b = Buffer.alloc(len);
      if (fs.readSync(fd, b, 0, len, pos) !== len) throw new UsageError(`${file} is truncated`);
      return b;
    };
    const head = at(0, 12);
    if (head.toString("latin1", 0, 4) !== magic) throw new UsageError(`${file} is not a .${magic} file`);
    const sections = new Map<number, number>();
    for (let i = 0, pos = 12; i < head.readUInt32LE(8); i++) {
      const s = at(pos, 12);
      if (!sections.has(s.readUInt32LE(0))) sections.set(s.readUInt32LE(0), pos + 12);
      pos += 12 + Number(s.readBigUInt64LE(4));
    }
    const read = (section: number, offset: number, length: number): Buffer => {
      const start = sections.get(section);
      if (start === undefined) throw new UsageError(`${file} has no section ${section}`);
      return at(start + offset, length);
    };
    return use({ has: (s) => sections.has(s), read });
  } finally {
    fs.closeSync(fd);
  }
}

/** Power of a ptau file (it holds 2^power powers) and whether it is prepared for phase 2. */
function ptauHeader(file: string): { power: number; prepared: boolean } {
  return withBinFile(file, "ptau", (f) => {
    const n8 = f.read(1, 0, 4).readUInt32LE(0);
    return { power: f.read(1, 4 + n8, 4).readUInt32LE(0), prepared: f.has(12) };
  });
}

type Contribution = { name: string; beacon?: string };

/** Number of public signals and contributions (oldest first) recorded in a zkey's header. */
function zkeyInfo(zkey: string): { nPublic: number; chain: Contribution[] } {
  return withBinFile(zkey, "zkey", (f) => {
    const n8q = f.read(2, 0, 4).readUInt32LE(0);
    const n8r = f.read(2, 4 + n8q, 4).readUInt32LE(0);
    const nPublic = f.read(2, 4 + n8q + 4 + n8r + 4, 4).readUInt32LE(0); // after q, r, nVars
    const fixed = 3 * 2 * n8q + 4 * n8q + 64; // deltaAfter, g1_s, g1_sx (G1); g2_spx (G2); transcript
    const chain: Contribution[] = [];
    for (let i = f.read(10, 64, 4).readUInt32LE(0), off = 68; i > 0; i--) {
      const typeAndLen = f.read(10, off + fixed, 8);
      const params = f.read(10, off + fixed + 8, typeAndLen.readUInt32LE(4));
      chain.push(contributionParams(typeAndLen.readUInt32LE(0), params));
      off += fixed + 8 + params.length;
    }
    return { nPublic, chain };
  });
}

/** Parameters of one contribution: 1 = name, 2 = iterations exponent, 3 = beacon hash (type 1 only). */
function contributionParams(type: number, p: Buffer): Contribution {
  const c: Contribution = { name: "" };
  for (let i = 0; i < p.length; i += p[i] === 2 ? 2 : 2 + p[i + 1]) {
    const value = p.subarray(i + 2, i + 2 + p[i + 1]);
    if (p[i] === 1) c.name = value.toString("utf8");
    if (p[i] === 3 && type === 1) c.beacon = value.toString("hex");
  }
  return c;
}

type R1csHeader = { nConstraints: number; nPubInputs: number; nOutputs: number };

async function r1csHeader(name: CircuitName): Promise<R1csHeader> {
  const opts = { loadConstraints: false, loadMap: false, loadCustomGates: false, singleThread: true };
  return (await readR1cs(artifacts(name).r1cs, opts)) as R1csHeader;
}

/** The power snarkjs needs: the smallest p with 2^p > constraints + public inputs + outputs. */
function requiredPower(h: R1csHeader): number {
  let p = 0;
  while (2 ** p <= h.nConstraints + h.nPubInputs + h.nOutputs) p++;
  return p;
}

/** Runs `make(tmp)` and renames tmp to `out` only when it succeeded. */
function produce(out: string, make: (tmp: string) => string): string {
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.tmp`;
  try {
    const log = make(tmp);
    fs.renameSync(tmp, out);
    return log;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** The "Contribution Hash" snarkjs logs, in its 4 x 4 word layout (as `zkey verify` lists it). */
function contributionHash(log: string): string {
  // eslint-disable-next-line no-control-regex -- strips the ANSI colour codes snarkjs prints
  const m = /Contribution Hash:\s*((?:[0-9a-f]{8}\s*){16})/.exec(log.replace(/\x1b\[[0-9;]*m/g, ""));
  return m ? `\t\t${m[1].trim()}` : "(not found in the snarkjs output)";
}

async function start(o: { ptau: string; circuit: string; out: string; force?: boolean }): Promise<void> {
  const name = circuitName(o.circuit);
  const ptau = existingFile(o.ptau, "ptau");
  const out = outputFile(path.join(o.out, `${name}_0000.zkey`), o.force === true);
  const header = await r1csHeader(name);
  const { power, prepared } = ptauHeader(ptau);
  const need = requiredPower(header);
  if (power < need)
    throw new UsageError(`${o.ptau} has 2^${power} powers: too small for ${name}, which needs 2^${need}`);
  if (!prepared)
    throw new UsageError(
      `${o.ptau} is not prepared for phase 2: use a "final" ptau or \`snarkjs powersoftau prepare phase2\``,
    );
  console.log(`${name}: ${header.nConstraints} constraints, needs 2^${need}; ptau has 2^${power}`);
  produce(out, (tmp) => snarkjs(["groth16", "setup", artifacts(name).r1cs, ptau, tmp], { quiet: true }));
  console.log(`wrote ${out} (no contribution yet: NOT usable until contributions and the beacon are applied)`);
}

function contribute(o: { in: string; out: string; name: string; force?: boolean }): void {
  const input = existingFile(o.in, "input zkey");
  const out = outputFile(o.out, o.force === true, input);
  const entropy = crypto.randomBytes(32).toString("hex");
  const name = `-n=${contributorName(o.name)}`;
  const log = produce(out, (tmp) =>
    snarkjs(["zkey", "contribute", input, tmp, name, `-e=${entropy}`], { quiet: true }),
  );
  console.log(
    `wrote ${out}\nContribution hash of "${o.name}" (publish it; \`verify\` lists it):\n${contributionHash(log)}`,
  );
}

function verify(o: { ptau: string; circuit: string; zkey: string }): void {
  const name = circuitName(o.circuit);
  const ptau = existingFile(o.ptau, "ptau");
  const zkey = existingFile(o.zkey, "zkey");
  try {
    snarkjs(["zkey", "verify", artifacts(name).r1cs, ptau, zkey]);
  } catch {
    throw new Error(`INVALID: ${o.zkey} is not a valid phase-2 key of the ${name} circuit on ${o.ptau}`);
  }
  console.log(`OK: ${o.zkey} is a valid phase-2 key of the ${name} circuit on ${o.ptau}`);
}

function beacon(o: { in: string; out: string; hash: string; iterations: string; name: string; force?: boolean }): void {
  const input = existingFile(o.in, "input zkey");
  const out = outputFile(o.out, o.force === true, input);
  const params = [beaconHash(o.hash), iterationsExp(o.iterations), `-n=${contributorName(o.name)}`];
  const log = produce(out, (tmp) => snarkjs(["zkey", "beacon", input, tmp, ...params], { quiet: true }));
  console.log(`wrote ${out}\nBeacon contribution hash:\n${contributionHash(log)}`);
}

/**
 * Writes a key directory in the layout the prover, the keeper and the relayer read with `--build <dir>`
 * (core/artifacts.ts): <dir>/keys/<name>.zkey and <name>.vkey.json, <dir>/circuits/<name>/main_js/ (the
 * circuit's witness calculator, copied from this machine's build) and <dir>/verifiers/<Name>Verifier.sol.
 */
async function exportKeys(o: { zkey: string; circuit: string; outDir: string; force?: boolean }): Promise<void> {
  const name = circuitName(o.circuit);
  const zkey = existingFile(o.zkey, "zkey");
  const outDir = path.resolve(o.outDir);
  const target = artifacts(name, outDir);
  const verifierDir = path.join(outDir, "verifiers");
  const vkeyFile = outputFile(target.vkey, o.force === true);
  const zkeyFile = outputFile(target.zkey, o.force === true);
  outputFile(path.join(verifierDir, `${verifierName(name)}.sol`), o.force === true);
  const { nPublic, chain } = zkeyInfo(zkey);
  const h = await r1csHeader(name);
  if (nPublic !== h.nPubInputs + h.nOutputs) {
    throw new UsageError(
      `${o.zkey} has ${nPublic} public signals, the ${name} circuit ${h.nPubInputs + h.nOutputs}: wrong circuit?`,
    );
  }
  if (!chain.some((c) => c.beacon === undefined)) {
    throw new UsageError(
      `${o.zkey} has no secret contribution (only ${chain.length} public beacon(s)): its keys are insecure`,
    );
  }
  if (chain[chain.length - 1].beacon === undefined)
    console.warn("warning: the last contribution is not a public beacon");
  if (path.resolve(verifierDir) === VERIFIER_DIR)
    console.warn("warning: `npm run build` regenerates contracts/verifiers from the dev keys");
  fs.mkdirSync(path.dirname(target.zkey), { recursive: true });
  fs.mkdirSync(verifierDir, { recursive: true });
  produce(vkeyFile, (tmp) => snarkjs(["zkey", "export", "verificationkey", zkey, tmp], { quiet: true }));
  fs.copyFileSync(zkey, zkeyFile);
  const local = artifacts(name);
  fs.cpSync(path.dirname(local.wasm), path.dirname(target.wasm), { recursive: true });
  const command = `npm run ceremony -- export --zkey ${o.zkey} --circuit ${name} --out-dir ${o.outDir}`;
  const sol = exportVerifier(name, zkey, command, KEYS_LABEL, verifierDir);
  console.log(
    `contributions: ${chain.map((c) => (c.beacon ? `beacon ${c.beacon}` : c.name || "(unnamed)")).join(", ")}`,
  );
  console.log(`wrote ${vkeyFile}\nwrote ${zkeyFile}\nwrote ${path.dirname(target.wasm)}\nwrote ${sol}`);
  console.log(`provers, keepers and relayers use these keys with --build ${o.outDir}`);
}

function program(): Command {
  const p = new Command("ceremony")
    .description("Phase-2 Groth16 ceremony for production keys (docs/ceremony.md)")
    .exitOverride();
  const circuit = `circuit: ${CIRCUIT_NAMES.join(", ")}`;
  const force = "overwrite existing outputs";
  p.command("start")
    .description("groth16 setup of a circuit on a public, phase-2-prepared ptau: <out>/<circuit>_0000.zkey")
    .requiredOption("--ptau <file>", "public powers-of-tau file")
    .requiredOption("--circuit <name>", circuit)
    .requiredOption("--out <dir>", "output directory")
    .option("--force", force)
    .action(start);
  p.command("contribute")
    .description("add a secret contribution (fresh system randomness) and print its hash")
    .requiredOption("--in <zkey>", "previous zkey")
    .requiredOption("--out <zkey>", "new zkey")
    .requiredOption("--name <contributor>", "public name of the contributor (1-64 bytes)")
    .option("--force", force)
    .action(contribute);
  p.command("verify")
    .description("verify a zkey's whole contribution chain against the circuit and the ptau")
    .requiredOption("--ptau <file>", "the ptau the ceremony started from")
    .requiredOption("--circuit <name>", circuit)
    .requiredOption("--zkey <file>", "zkey to verify")
    .action(verify);
  p.command("beacon")
    .description("apply the final public beacon (e.g. a future block hash announced in advance)")
    .requiredOption("--in <zkey>", "last contributed zkey")
    .requiredOption("--out <zkey>", "final zkey")
    .requiredOption("--hash <hex>", "beacon: 64 hex characters")
    .requiredOption("--iterations <n>", "hash the beacon 2^n times, 10..63")
    .option("--name <name>", "name recorded for the beacon", "final public beacon")
    .option("--force", force)
    .action(beacon);
  p.command("export")
    .description("export a key directory (--build layout: keys, witness calculator, verifier) of a final zkey")
    .requiredOption("--zkey <file>", "final zkey")
    .requiredOption("--circuit <name>", circuit)
    .option(
      "--out-dir <dir>",
      "output directory (not contracts/verifiers: `npm run build` rewrites it)",
      DEFAULT_OUT_DIR,
    )
    .option("--force", force)
    .action(exportKeys);
  return p;
}

async function main(): Promise<void> {
  try {
    await program().parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2); // commander printed it
    const usage = e instanceof UsageError;
    console.error(`ceremony: ${usage ? "error" : "failed"}: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(usage ? 2 : 1);
  }
}

void main();
