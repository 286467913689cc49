import { expect } from "chai";
import { ZkMarginRegistry__factory } from "../../core/contracts";
import { decodeRevert, errorInterface, explainError } from "../../prover/service/explain";
import { Interface } from "ethers";

/**
 * Every revert a trader can meet becomes one sentence in human units that says what is possible: the
 * registry's (and its logic libraries') errors, the oracle's, the fund's and the ERC-20 errors, decoded
 * from the revert data as ethers reports it; transport faults and node refusals in words; no raw data.
 */
describe("Prover errors: decoded reverts and failures in words", () => {
  const ctx = { symbols: ["USDC", "WETH"], decimals: [6, 18], now: 1_000_000n, rpc: "http://127.0.0.1:8545" };
  const revert = (name: string, args: unknown[] = []) => {
    const data = errorInterface().encodeErrorResult(name, args);
    // what ethers throws for a reverted eth_call / estimateGas
    return Object.assign(new Error("execution reverted (unknown custom error)"), { code: "CALL_EXCEPTION", data });
  };
  const A = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

  it("knows every error of the registry's ABI by a sentence of its own", () => {
    const generic: string[] = [];
    new Interface(ZkMarginRegistry__factory.abi as never).forEachError((f) => {
      const args = f.inputs.map((i) =>
        i.type === "address" ? A : i.type === "string" ? "x" : i.type.startsWith("int") ? -1n : 1n,
      );
      const s = explainError(revert(f.name, args), ctx);
      if (/refused with Registry__/.test(s)) generic.push(f.name);
      expect(s, f.name).to.not.match(/0x[0-9a-fA-F]{8}(?![0-9a-fA-F])/);
    });
    expect(generic).to.deep.equal([]);
  });

  const cases: [string, unknown[], RegExp][] = [
    [
      "Registry__NotLiquidated",
      [A],
      /nothing to claim: account 0x\w+ is not liquidated \(it was claimed already, or never liquidated\)/,
    ],
    ["Registry__Challenged", [A], /the account is challenged: answer the challenge first \(`zkm respond`/],
    [
      "Registry__ProofInvalid",
      [],
      /the proof did not verify on chain: prices, ratios or the account changed between proving and mining \(run the command again\)/,
    ],
    [
      "Registry__InsufficientCollateral",
      [0n, 1_500_000n, 2_000_000n],
      /the account holds 1\.50 USDC: it cannot give 2\.00 USDC/,
    ],
    [
      "Registry__DeadlinePassed",
      [999_000n],
      /deadline passed at 1970-01-12T13:30:00Z \(16 min 40 s ago\): it can no longer be answered/,
    ],
    ["Registry__ClaimWindowOver", [1_003_600n], /the claim window closed at .* \(in 1 h\)/],
    ["Registry__WrongBond", [1n, 10n ** 15n], /the bond must be exactly 0\.001000 ETH/],
    [
      "Registry__RatioBelowRequired",
      [0n, 300n, 350n],
      /the proven maintenance ratio of ETH \(3\.00%\) is below the required 3\.50%/,
    ],
    [
      "Registry__BoxTooWide",
      [6_000n, 5_000n],
      /box of \+\/-60\.00% is wider than the registry allows \(\+\/-50\.00%\)/,
    ],
    [
      "ERC20InsufficientBalance",
      [A, 0n, 5_000_000_000n],
      /the wallet 0x\w+ holds 0 base units, less than the 5000000000 base units needed: fund the wallet first \(on a local network, `npm run localnet` mints/,
    ],
    [
      "Oracle__StaleAnswer",
      [A, 990_000n, 3_600n],
      /last updated at .* \(2 h 46 min ago\), longer ago than its maximum age of 1 h: nothing can be priced until the oracle updates \(on a local network: `npm run localnet -- time \+0` refreshes the feeds\)/,
    ],
    ["Oracle__SequencerDown", [], /the L2 sequencer is down/],
    ["InsuranceFund__WithdrawalsBlockedWhileOwed", [5n], /owes traders money/],
  ];
  for (const [name, args, re] of cases) {
    it(`${name}: ${re.source.slice(0, 60)}...`, () => {
      expect(explainError(revert(name, args), ctx)).to.match(re);
    });
  }

  it("with the token known, ERC-20 amounts are in the token's units; the action prefixes the sentence", () => {
    const s = explainError(revert("ERC20InsufficientBalance", [A, 10_000_000n, 5_000_000_000n]), {
      ...ctx,
      action: "deposit 5,000.00 USDC",
      token: { symbol: "USDC", decimals: 6 },
    });
    expect(s).to.match(
      /^cannot deposit 5,000\.00 USDC: the wallet 0x\w+ holds 10\.00 USDC, less than the 5,000\.00 USDC needed/,
    );
  });

  it("finds revert data nested in ethers' error chain, and names an unknown selector", () => {
    const data = errorInterface().encodeErrorResult("Registry__ZeroAmount", []);
    const nested = { code: "UNKNOWN_ERROR", error: { code: -32603, message: "x", data: { data } } };
    expect(explainError(nested)).to.equal("the amount must be greater than 0");
    expect(decodeRevert("0xdeadbeef")).to.equal(undefined);
    expect(explainError({ code: "CALL_EXCEPTION", data: "0xdeadbeef00" })).to.match(
      /an error this prover does not know \(selector 0xdeadbeef\)/,
    );
    expect(
      explainError(
        Object.assign(new Error("execution reverted: require(false)"), { code: "CALL_EXCEPTION", data: "0x" }),
      ),
    ).to.match(/refused without a reason: is the address a zkmargin registry/);
  });

  it("transport faults, gas and nonces in words", () => {
    const refused = Object.assign(new Error("fetch failed"), { cause: { code: "ECONNREFUSED" }, code: "ECONNREFUSED" });
    expect(explainError(refused, ctx)).to.match(
      /the RPC endpoint http:\/\/127\.0\.0\.1:8545 refused the connection .*\(`npm run localnet`\), or give another one with --rpc/,
    );
    expect(
      explainError(
        Object.assign(new Error("insufficient funds for intrinsic transaction cost"), { code: "INSUFFICIENT_FUNDS" }),
      ),
    ).to.match(/not enough ETH to pay for gas/);
    expect(explainError(Object.assign(new Error("nonce too low"), { code: "NONCE_EXPIRED" }))).to.match(
      /nonce was used meanwhile/,
    );
    expect(
      explainError(Object.assign(new Error("ENOSPC: no space left"), { code: "ENOSPC", path: "/x/state.json" })),
    ).to.equal("the disk is full (/x/state.json): nothing was changed; fix it and run the command again");
  });
});
