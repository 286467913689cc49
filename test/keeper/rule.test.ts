/**
 * The keeper's off-chain challenge rule (keeper/rule.ts) against the registry's own (Shared.challengeable
 * through RegistryLens.challengeable) on random certificates drawn around every boundary: freshness,
 * each side of each market's box, the collateral floor, ratios and haircuts one unit either way. The
 * certificates are made the accounts' stored ones by writing their hash into the registry's storage (the
 * slot is found, not assumed), so the lens judges exactly the certificate the keeper judges.
 */
import { expect } from "chai";
import { AbiCoder, keccak256, toBeHex, zeroPadValue } from "ethers";
import { ethers, network } from "hardhat";
import type { RegistryLens, ZkMarginRegistry } from "../../core/contracts";
import { deployLocal, seedLocal } from "../../scripts/lib/deploy";
import { registryInterface } from "../../keeper/index/events";
import type { Cert } from "../../keeper/index/types";
import { BPS, type Market, at16, at64, challengeable, collateralValue } from "../../keeper/rule";

const CERT_TYPE =
  "tuple(uint40 provenAt, uint16 d, uint64 pm, uint64 haircuts, uint256 marketPrices, uint256 assetPrices)";
const hashCert = (c: Cert) => keccak256(AbiCoder.defaultAbiCoder().encode([CERT_TYPE], [c]));

/** A small seeded PRNG (mulberry32), so a failure replays. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("keeper rule = the registry's challenge rule (random certificates through the lens)", function () {
  this.timeout(120_000);
  let registry: ZkMarginRegistry;
  let lens: RegistryLens;
  let accounts: string[];
  let balances: bigint[][];
  let certSlot: (a: string) => string;

  before(async () => {
    const signers = await ethers.getSigners();
    const sys = await deployLocal(signers[0]);
    await seedLocal(sys, signers[0], { traders: signers.slice(1, 17).map((s) => s.address), fundLiquidity: 0n });
    registry = sys.registry;
    lens = sys.lens;
    accounts = [];
    balances = [];
    for (const [i, s] of signers.slice(1, 17).entries()) {
      const r = registry.connect(s);
      await (await r.openAccount()).wait();
      const usdc = BigInt(i) * 10_003n * 10n ** 6n;
      const weth = BigInt(i % 3) * 7n * 10n ** 17n;
      for (const [k, amount] of [usdc, weth].entries()) {
        if (amount === 0n) continue;
        await (await sys.tokens[k].connect(s).approve(await registry.getAddress(), amount)).wait();
        await (await r.deposit(k, amount)).wait();
      }
      accounts.push(s.address);
      balances.push([usdc, weth]);
    }
    // find the accounts mapping's base slot: certHash is the Account struct's second word
    const logs = await ethers.provider.getLogs({ address: await registry.getAddress(), fromBlock: 0 });
    const certified = logs.map((l) => registryInterface.parseLog(l)).find((p) => p?.name === "Certified")!;
    const stored = hashCert(certified.args.cert.toObject() as Cert);
    const who = certified.args.account as string;
    for (let base = 0; base < 64; base++) {
      const slot = (a: string) =>
        toBeHex(BigInt(keccak256(AbiCoder.defaultAbiCoder().encode(["address", "uint256"], [a, base]))) + 1n, 32);
      if ((await ethers.provider.getStorage(await registry.getAddress(), slot(who))) === stored) {
        certSlot = slot;
        return;
      }
    }
    throw new Error("certHash slot not found");
  });

  it("agrees on 400 random certificates at every boundary, and on collateral values", async () => {
    const rand = prng(20261201);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
    const raw = await lens.market();
    const m: Market = {
      marketPrices: raw.marketPrices,
      assetPrices: raw.assetPrices,
      mm: raw.mm,
      im: raw.im,
      haircuts: raw.haircuts,
      decimals: raw.decimals.map(Number),
    };
    const freshness = (await registry.timing()).freshness;
    const registryAddr = await registry.getAddress();
    let agreed = 0;
    let yes = 0;
    for (let round = 0; round < 25; round++) {
      const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
      const certs: Cert[] = accounts.map(() => {
        // a certificate that holds, then one condition moved to its boundary (one unit either side)
        const d = BigInt(pick([1, 100, 500, 2_500, 4_999, 5_000, 1 + Math.floor(rand() * 5_000)]));
        let provenAt = now - 60n;
        const mp = [0, 1, 2, 3].map((j) => at64(m.marketPrices, j));
        const pm = [0, 1, 2, 3].map((j) => at16(m.mm, j) + 10n);
        const ap = [0, 1, 2, 3].map((i) => at64(m.assetPrices, i));
        const hc = [0, 1, 2, 3].map((i) => at16(m.haircuts, i));
        const u = BigInt(pick([-1, 0, 1]));
        const j = Math.floor(rand() * 4);
        const i = Math.floor(rand() * 2);
        switch (pick(["none", "fresh", "lo", "hi", "ratio", "asset", "haircut", "random"])) {
          case "fresh": // clear of eth_call's clock by 4 s either way
            provenAt = now - freshness + pick([-4n, 4n, -1_000n]);
            break;
          case "lo": // P x BPS = proven x (BPS - d) at the edge
            mp[j] = (at64(m.marketPrices, j) * BPS) / (BPS - d) + u;
            break;
          case "hi":
            mp[j] = (at64(m.marketPrices, j) * BPS) / (BPS + d) + u;
            break;
          case "ratio":
            pm[j] = at16(m.mm, j) + u;
            break;
          case "asset":
            ap[i] = (at64(m.assetPrices, i) * BPS) / (BPS - d) + u;
            break;
          case "haircut":
            hc[i] = at16(m.haircuts, i) + u;
            break;
          case "random":
            for (let k = 0; k < 4; k++) mp[k] = BigInt(1 + Math.floor(rand() * 2 ** 40));
            provenAt = now - BigInt(Math.floor(rand() * 2 * Number(freshness)));
            break;
        }
        const pack = (xs: bigint[], bits: bigint) => xs.reduce((w, x, k) => w | (x << (bits * BigInt(k))), 0n);
        return {
          provenAt,
          d,
          pm: pack(pm, 16n),
          haircuts: pack(hc, 16n),
          marketPrices: pack(mp, 64n),
          assetPrices: pack(ap, 64n),
        };
      });
      for (const [k, a] of accounts.entries())
        await network.provider.send("hardhat_setStorageAt", [
          registryAddr,
          certSlot(a),
          zeroPadValue(hashCert(certs[k]), 32),
        ]);
      const [flags, values] = await lens.challengeable(accounts, certs);
      for (const [k, c] of certs.entries()) {
        expect(
          flags[k],
          `round ${round} account ${k}: ${JSON.stringify(c, (_x, v) => (typeof v === "bigint" ? v.toString() : v))}`,
        ).to.equal(challengeable(c, now, freshness, m));
        expect(values[k]).to.equal(collateralValue(balances[k], m));
        agreed++;
        if (flags[k]) yes++;
      }
    }
    expect(agreed).to.equal(400);
    // both outcomes are well represented
    expect(yes).to.be.within(100, 300);
  });
});
