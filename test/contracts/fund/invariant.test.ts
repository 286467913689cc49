import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { type Forced, deployForced, payAsRegistry, usdc } from "../../helpers/auction";

type Op =
  | { kind: "inflow"; amount: bigint }
  | { kind: "pay"; who: number; amount: bigint }
  | { kind: "tip"; who: number; amount: bigint }
  | { kind: "repay"; n: number };

const amount = fc.integer({ min: 0, max: 3000 }).map((x) => usdc(x));
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("inflow" as const), amount }),
  fc.record({ kind: fc.constant("pay" as const), who: fc.integer({ min: 0, max: 2 }), amount }),
  fc.record({ kind: fc.constant("tip" as const), who: fc.integer({ min: 0, max: 1 }), amount }),
  fc.record({ kind: fc.constant("repay" as const), n: fc.integer({ min: 0, max: 4 }) }),
);

/** Reference model of the fund's cash and FIFO ledger (no LPs, no lots). */
class Model {
  balance = 0n;
  entries: { creditor: number; amount: bigint; repaid: bigint }[] = [];
  head = 0;
  requested = [0n, 0n, 0n];
  received = [0n, 0n, 0n];
  tipped = [0n, 0n];
  inflows = 0n;

  owed(): bigint {
    return this.entries.reduce((s, e) => s + e.amount - e.repaid, 0n);
  }
  owedOf(c: number): bigint {
    return this.entries.filter((e) => e.creditor === c).reduce((s, e) => s + e.amount - e.repaid, 0n);
  }
  available(): bigint {
    const o = this.owed();
    return this.balance > o ? this.balance - o : 0n;
  }
  apply(o: Op): void {
    if (o.kind === "inflow") {
      this.balance += o.amount;
      this.inflows += o.amount;
    } else if (o.kind === "pay") {
      const paid = o.amount < this.available() ? o.amount : this.available();
      this.requested[o.who] += o.amount;
      this.received[o.who] += paid;
      this.balance -= paid;
      if (o.amount > paid) this.entries.push({ creditor: o.who, amount: o.amount - paid, repaid: 0n });
    } else if (o.kind === "tip") {
      const paid = o.amount < this.available() ? o.amount : this.available();
      this.tipped[o.who] += paid;
      this.balance -= paid;
    } else {
      let cash = this.balance;
      for (let n = o.n; n > 0 && this.head < this.entries.length && cash > 0n; n--) {
        const e = this.entries[this.head];
        const due = e.amount - e.repaid;
        const x = due < cash ? due : cash;
        e.repaid += x;
        cash -= x;
        this.balance -= x;
        this.received[e.creditor] += x;
        if (x === due) this.head++;
      }
    }
  }
}

describe("InsuranceFund: ledger invariant over random sequences (fast-check)", () => {
  it("keeps token balances = fund accounting and owed + paid = requested for every creditor", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
        const f: Forced = await loadFixture(deployForced);
        // addresses with no tokens of their own
        const creditors = ["0xa1", "0xa2", "0xa3"].map((x) => ethers.zeroPadValue(x, 20));
        const tippees = ["0xb1", "0xb2"].map((x) => ethers.zeroPadValue(x, 20));
        const m = new Model();
        for (const o of ops) {
          if (o.kind === "inflow") await (await f.usdcToken.mint(f.fund, o.amount)).wait();
          else if (o.kind === "pay") await (await payAsRegistry(f, creditors[o.who], o.amount)).wait();
          else if (o.kind === "tip") {
            const data = f.fund.interface.encodeFunctionData("payUpTo", [tippees[o.who], o.amount]);
            await (await f.stub.exec(f.fund, data)).wait();
          } else await (await f.fund.repay(o.n)).wait();
          m.apply(o);

          const balance = await f.usdcToken.balanceOf(f.fund);
          const owed = await f.fund.totalOwed();
          expect(balance).to.equal(m.balance);
          expect(owed).to.equal(m.owed());
          expect(await f.fund.available()).to.equal(m.available());
          expect(await f.fund.ledgerHead()).to.equal(BigInt(m.head));
          expect(await f.fund.ledgerLength()).to.equal(BigInt(m.entries.length));
          expect(await f.fund.totalAssets()).to.equal(balance > owed ? balance - owed : 0n);
          let out = 0n;
          for (let c = 0; c < 3; c++) {
            const got = await f.usdcToken.balanceOf(creditors[c]);
            expect(got).to.equal(m.received[c]);
            // what was asked for is exactly what was paid plus what is still owed
            expect(got + (await f.fund.owedOf(creditors[c]))).to.equal(m.requested[c]);
            out += got;
          }
          for (let t = 0; t < 2; t++) out += await f.usdcToken.balanceOf(tippees[t]);
          // tokens: every unit that came in is in the fund or with a creditor or a tip receiver
          expect(balance + out).to.equal(m.inflows);
        }
        // FIFO: entries before the head are repaid in full, entries after it untouched
        for (let i = 0; i < m.entries.length; i++) {
          const e = await f.fund.entry(BigInt(i));
          if (i < m.head) expect(e.repaid).to.equal(e.amount);
          if (i > m.head) expect(e.repaid).to.equal(0n);
        }
      }),
      { numRuns: 40 },
    );
  });
});
