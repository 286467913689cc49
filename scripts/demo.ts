/**
 * npm run demo (first stage): a trader opens a private position, proves it solvent at the oracle
 * prices, and the proofs are checked by the exported Solidity verifiers on Hardhat's in-process chain.
 * It grows into the full scenario (registry, keeper, liquidation) as those parts land.
 */
import { ethers } from "hardhat";
import * as snarkjs from "snarkjs";
import {
  Side,
  commitment,
  emptyState,
  equityInputs,
  fieldToSigned,
  solvencyInputs,
  updateInputs,
  contextOf,
} from "../prover/model";
import { type CircuitName, artifacts, verifierName } from "./lib/circuits";

const PRICES = [3000_00000000n, 60000_00000000n, 150_00000000n, 80000000n];
const MM = [500n, 400n, 800n, 1000n];
const IM = [1000n, 800n, 1600n, 2000n];
const UNIT = 10n ** 10n;
const QUOTE = 10n ** 18n;

async function proveAndVerify(name: CircuitName, inputs: Record<string, unknown>) {
  const a = artifacts(name);
  const t0 = performance.now();
  const { proof, publicSignals } = await snarkjs.groth16.fullProve(inputs, a.wasm, a.zkey);
  const ms = performance.now() - t0;
  const raw = await snarkjs.groth16.exportSolidityCallData(proof, publicSignals);
  const [pa, pb, pc, sig] = JSON.parse(`[${raw}]`);
  const verifier = await ethers.deployContract(verifierName(name));
  const ok = (await verifier.verifyProof(pa, pb, pc, sig)) as boolean;
  const gas = await verifier.verifyProof.estimateGas(pa, pb, pc, sig);
  console.log(`  ${name.padEnd(8)} proof in ${ms.toFixed(0)} ms, ${publicSignals.length} public signals, on-chain verify: ${ok} (${gas} gas)`);
  if (!ok) throw new Error(`${name} proof was rejected by ${verifierName(name)}`);
}

async function main() {
  const [trader] = await ethers.getSigners();
  const registry = ethers.ZeroAddress;
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const fmt = (v: bigint) => `${Number(v / 10n ** 14n) / 10_000} USD`;

  console.log("zkmargin demo (circuits stage) — INSECURE development keys");
  const empty = emptyState(4);
  console.log(`public: empty-state commitment ${commitment(empty).toString().slice(0, 18)}...`);

  const open = updateInputs(
    empty,
    { kind: "increase", market: 0, size: 5n * UNIT, side: Side.Long },
    { value: 2000n * QUOTE, prices: PRICES },
    IM,
    contextOf(chainId, registry, trader.address, 0n),
    123456789n,
  );
  const state = open.result.next;
  console.log(`private: long 5 ETH at 3000, collateral 2000 USD; public: C' = ${open.newCommitment.toString().slice(0, 18)}...`);
  await proveAndVerify("update", open.inputs);

  const moved = [2800_00000000n, ...PRICES.slice(1)];
  const value = 2000n * QUOTE;
  await proveAndVerify("solvency", solvencyInputs(state, { value, prices: moved }, MM, contextOf(chainId, registry, trader.address, 1n)));
  const eq = equityInputs(state, { value, prices: moved }, contextOf(chainId, registry, trader.address, 1n));
  console.log(`private: at ETH 2800 the equity is ${fmt(eq.equity)} (pnl ${fmt(fieldToSigned(open.inputs.pnl as bigint))} realised so far)`);
  await proveAndVerify("equity", eq.inputs);
  console.log("demo complete");
}

main()
  .then(() => process.exit(0))
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
