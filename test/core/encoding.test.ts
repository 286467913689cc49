import { expect } from "chai";
import { AbiCoder, keccak256 } from "ethers";
import { Domain, FIELD_MODULUS, PACKED_PRICES, contextOf, packPrices, unpackPrices } from "../../core/encoding";

const E8 = 10n ** 8n;
const PRICES = [3_000n * E8, 60_000n * E8, 150n * E8, 80n * 10n ** 6n];
const MAX64 = (1n << 64n) - 1n;

describe("core encoding", () => {
  it("packs prices as PublicInputs.pack does: the first in the lowest 64 bits", () => {
    const w = packPrices(PRICES);
    expect(w & MAX64).to.equal(PRICES[0]);
    expect(w >> 192n).to.equal(PRICES[3]);
    expect(unpackPrices(w)).to.deep.equal(PRICES);
    expect(unpackPrices(packPrices([MAX64, 0n, MAX64, 1n]))).to.deep.equal([MAX64, 0n, MAX64, 1n]);
  });

  it("unpacks a short list with zeros in the unused slots", () => {
    expect(unpackPrices(packPrices([7n]))).to.deep.equal([7n, 0n, 0n, 0n]);
    expect(unpackPrices(0n)).to.have.length(PACKED_PRICES);
  });

  it("refuses a price above 64 bits, a negative one, or a fifth price", () => {
    expect(() => packPrices([MAX64 + 1n])).to.throw(RangeError, /64 bits/);
    expect(() => packPrices([-1n])).to.throw(RangeError, /64 bits/);
    expect(() => packPrices([1n, 2n, 3n, 4n, 5n])).to.throw(RangeError, /at most 4/);
  });

  it("reduces the context below the field and binds every field of it, the domain included", () => {
    const registry = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    const account = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    const c = contextOf(Domain.Prove, 31337n, registry, account, 1n);
    expect(c < FIELD_MODULUS).to.equal(true);
    expect(contextOf(Domain.Prove, 31337n, registry, account, 1n)).to.equal(c);
    expect(contextOf(Domain.Respond, 31337n, registry, account, 1n)).to.not.equal(c);
    expect(contextOf(Domain.Prove, 1n, registry, account, 1n)).to.not.equal(c);
    expect(contextOf(Domain.Prove, 31337n, account, registry, 1n)).to.not.equal(c);
    expect(contextOf(Domain.Prove, 31337n, registry, account, 2n)).to.not.equal(c);
  });

  it("encodes uint256 domain, uint256 chainId, address registry, address account, uint256 nonce", () => {
    const registry = "0x00000000000000000000000000000000000000a1";
    const account = "0x00000000000000000000000000000000000000b2";
    const encoded = AbiCoder.defaultAbiCoder().encode(
      ["uint256", "uint256", "address", "address", "uint256"],
      [4n, 31337n, registry, account, 7n],
    );
    expect(contextOf(Domain.Deleverage, 31337n, registry, account, 7n)).to.equal(
      BigInt(keccak256(encoded)) % FIELD_MODULUS,
    );
    expect([Domain.Update, Domain.Prove, Domain.Respond, Domain.Deleverage, Domain.Claim]).to.deep.equal([
      1, 2, 3, 4, 5,
    ]);
  });
});
