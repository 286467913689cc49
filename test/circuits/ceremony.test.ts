/**
 * The production-key ceremony CLI (scripts/ceremony.ts), end to end on the smallest circuit (equity),
 * with the development ptau standing in for the public powers-of-tau file.
 */
import { spawn } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { DEV_PTAU, ROOT, artifacts } from "../../scripts/lib/circuits";
import { CircuitKeys } from "../../prover/lib/circuits";
import { benchInputs } from "../../bench/lib/inputs";
import { snarkjs } from "../../scripts/lib/run";

interface Run {
  code: number | null;
  out: string;
}

/** Runs the ceremony CLI from the repository root; resolves with its exit code and output (no colours). */
function ceremony(...args: string[]): Promise<Run> {
  const cli = [path.join(ROOT, "node_modules", ".bin", "ts-node"), "--transpile-only", "scripts/ceremony.ts", ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cli, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    // eslint-disable-next-line no-control-regex -- strips the ANSI colour codes snarkjs prints
    child.on("close", (code) => resolve({ code, out: out.replace(/\x1b\[[0-9;]*m/g, "") }));
  });
}

async function succeeds(...args: string[]): Promise<string> {
  const r = await ceremony(...args);
  expect(r.code, `ceremony ${args.join(" ")}\n${r.out}`).to.equal(0);
  return r.out;
}

async function rejects(message: RegExp, ...args: string[]): Promise<void> {
  const r = await ceremony(...args);
  expect(r.code, `ceremony ${args.join(" ")}\n${r.out}`).to.equal(2);
  expect(r.out).to.match(message);
}

type VKey = Record<"vk_alpha_1" | "vk_beta_2" | "vk_gamma_2" | "IC", unknown> & { vk_delta_2: string[][] };
const readJson = (file: string): VKey => JSON.parse(fs.readFileSync(file, "utf8")) as VKey;

const BEACON = "0x" + "5a".repeat(32);
const HASH_WORDS = /(?:\s*[0-9a-f]{8}){16}/;

describe("Ceremony CLI (production phase-2 keys)", function () {
  this.timeout(300_000);
  let dir: string;
  const file = (name: string): string => path.join(dir, name);
  const zkey = (step: string): string => file(`equity_${step}.zkey`);
  const verify = (z: string): Promise<Run> =>
    ceremony("verify", "--ptau", DEV_PTAU, "--circuit", "equity", "--zkey", z);

  before(function () {
    if (!fs.existsSync(DEV_PTAU) || !fs.existsSync(artifacts("equity").r1cs))
      throw new Error("run `npm run build` first");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkm-ceremony-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("start, two contributions, verify, beacon, verify, export: a verifier with a fresh delta", async () => {
    await succeeds("start", "--ptau", DEV_PTAU, "--circuit", "equity", "--out", dir);
    expect(fs.existsSync(zkey("0000"))).to.equal(true);
    const alice = await succeeds("contribute", "--in", zkey("0000"), "--out", zkey("0001"), "--name", "alice");
    const bob = await succeeds("contribute", "--in", zkey("0001"), "--out", zkey("0002"), "--name", "bob");
    const [aliceHash, bobHash] = [alice, bob].map((o) => HASH_WORDS.exec(o.split("Contribution hash")[1])?.[0].trim());
    expect(aliceHash).to.be.a("string").and.not.equal(bobHash);

    const verified = await verify(zkey("0002"));
    expect(verified.code, verified.out).to.equal(0);
    expect(verified.out).to.include("ZKey Ok!").and.include(aliceHash).and.include(bobHash);

    await succeeds("beacon", "--in", zkey("0002"), "--out", zkey("final"), "--hash", BEACON, "--iterations", "10");
    const final = await verify(zkey("final"));
    expect(final.code, final.out).to.equal(0);
    expect(final.out).to.include("ZKey Ok!").and.include("5a".repeat(32));

    const outDir = file("keys-out");
    await succeeds("export", "--zkey", zkey("final"), "--circuit", "equity", "--out-dir", outDir);
    const sol = fs.readFileSync(path.join(outDir, "verifiers", "EquityVerifier.sol"), "utf8");
    const [spdx, generated, keys] = sol.split("\n");
    expect(spdx).to.match(/^\/\/ SPDX-License-Identifier: /);
    expect(generated).to.match(
      /^\/\/ GENERATED FILE: do not edit by hand\. Regenerate with `npm run ceremony -- export /,
    );
    expect(keys).to.include("Keys: PRODUCTION keys from the phase-2 ceremony.");
    expect(sol).to.include("contract EquityVerifier").and.not.include("contract Groth16Verifier");

    // the export is a key directory the prover reads with --build (same layout as build/)
    expect(fs.existsSync(artifacts("equity", outDir).zkey)).to.equal(true);
    expect(fs.existsSync(artifacts("equity", outDir).wasm)).to.equal(true);
    const prod = readJson(artifacts("equity", outDir).vkey);
    const dev = readJson(artifacts("equity").vkey);
    expect(prod.vk_delta_2).to.not.deep.equal(dev.vk_delta_2); // the contributions' secrets moved delta...
    for (const k of ["vk_alpha_1", "vk_beta_2", "vk_gamma_2", "IC"] as const) expect(prod[k]).to.deep.equal(dev[k]); // ...only
    expect(sol).to.include(prod.vk_delta_2[0][0]).and.not.include(dev.vk_delta_2[0][0]);
    // and the prover proves with it: a proof from the exported keys verifies against the exported vkey
    const exported = await CircuitKeys.load("equity", outDir);
    expect(exported.vkey.vk_delta_2).to.deep.equal(prod.vk_delta_2);
    const p = await exported.prove(benchInputs("equity"));
    expect(await exported.verify(p.publicSignals, p.raw.proof)).to.equal(true);
  });

  it("verify fails (exit 1) on a zkey with one byte flipped near its end", async () => {
    const bytes = fs.readFileSync(zkey("final"));
    bytes[bytes.length - 100] ^= 1;
    fs.writeFileSync(file("tampered.zkey"), bytes);
    const r = await verify(file("tampered.zkey"));
    expect(r.code, r.out).to.equal(1);
    expect(r.out).to.include("INVALID").and.not.include("ZKey Ok!");
  });

  it("export refuses the development keys (no secret contribution) and a zkey of another circuit", async () => {
    const devKey = artifacts("equity").zkey;
    await rejects(
      /no secret contribution/,
      "export",
      "--zkey",
      devKey,
      "--circuit",
      "equity",
      "--out-dir",
      file("dev"),
    );
    await rejects(
      /public signals.*wrong circuit/,
      "export",
      "--zkey",
      devKey,
      "--circuit",
      "update",
      "--out-dir",
      file("dev"),
    );
    expect(fs.existsSync(file("dev"))).to.equal(false);
  });

  describe("bad arguments exit with code 2 and say what is wrong", () => {
    let some: string;
    let taken: string;
    const beacon = (hash: string, iterations: string) => [
      "beacon",
      "--in",
      some,
      "--out",
      file("b.zkey"),
      "--hash",
      hash,
      "--iterations",
      iterations,
    ];
    before(() => {
      [some, taken] = [file("some.zkey"), file("taken.zkey")];
      fs.writeFileSync(some, crypto.randomBytes(64));
      fs.writeFileSync(taken, crypto.randomBytes(64));
      fs.mkdirSync(file("started"));
      fs.writeFileSync(file("started/equity_0000.zkey"), "");
    });

    it("unknown circuit", async () => {
      const expected = /unknown circuit "margin" \(expected one of: certificate, update, deleverage, equity\)/;
      await rejects(expected, "start", "--ptau", DEV_PTAU, "--circuit", "margin", "--out", file("s"));
      await rejects(expected, "verify", "--ptau", DEV_PTAU, "--circuit", "margin", "--zkey", some);
    });
    it("beacon hash that is not 64 hex characters", async () => {
      await rejects(/--hash must be 64 hex characters/, ...beacon("ab".repeat(31) + "zz", "10"));
      await rejects(/--hash must be 64 hex characters/, ...beacon("ab".repeat(31), "10"));
    });
    it("iterations outside 10..63", async () => {
      await rejects(/--iterations must be an integer from 10 to 63/, ...beacon(BEACON, "64"));
      await rejects(/--iterations must be an integer from 10 to 63/, ...beacon(BEACON, "9"));
    });
    it("missing input file", async () => {
      await rejects(
        /input zkey file not found: .*missing\.zkey/,
        "contribute",
        "--in",
        file("missing.zkey"),
        "--out",
        file("c.zkey"),
        "--name",
        "c",
      );
      await rejects(
        /ptau file not found: .*missing\.ptau/,
        "start",
        "--ptau",
        file("missing.ptau"),
        "--circuit",
        "equity",
        "--out",
        file("s"),
      );
    });
    it("missing required option", async () => {
      await rejects(
        /required option '--name <contributor>' not specified/,
        "contribute",
        "--in",
        some,
        "--out",
        file("c.zkey"),
      );
    });
    it("output that already exists (left untouched without --force)", async () => {
      const before = fs.readFileSync(taken);
      await rejects(
        /output file already exists: .*taken\.zkey \(pass --force to overwrite\)/,
        "contribute",
        "--in",
        some,
        "--out",
        taken,
        "--name",
        "c",
      );
      await rejects(
        /output file already exists: .*equity_0000\.zkey/,
        "start",
        "--ptau",
        DEV_PTAU,
        "--circuit",
        "equity",
        "--out",
        file("started"),
      );
      expect(fs.readFileSync(taken).equals(before)).to.equal(true);
    });
    it("ptau too small for the circuit", async () => {
      const small = file("pot8.ptau");
      snarkjs(["powersoftau", "new", "bn128", "8", small], { quiet: true });
      await rejects(
        /has 2\^8 powers: too small for equity, which needs 2\^12/,
        "start",
        "--ptau",
        small,
        "--circuit",
        "equity",
        "--out",
        file("s"),
      );
    });
  });
});
