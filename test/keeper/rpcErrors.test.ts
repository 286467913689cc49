import { expect } from "chai";
import { AbiCoder, JsonRpcProvider, makeError } from "ethers";
import { AuctionHouse__factory } from "../../core/contracts";
import { revertReason } from "../../keeper/chain/reader";
import { RpcErrorKind, classifyJsonRpcError, classifyRpcError, revertDataOf } from "../../core/rpcErrors";

/** What a node answers, as JSON-RPC error objects. */
const revertHardhat = {
  code: -32603,
  message:
    "Error: VM Exception while processing transaction: reverted with custom error 'Registry__NotActive(\"0x01\")'",
  data: { message: "...", data: "0x6c4ea7010000000000000000000000000000000000000000000000000000000000000001" },
};

describe("core/rpcErrors: one classification of RPC failures", () => {
  it("JSON-RPC errors without revert data or a known refusal are transient", () => {
    for (const e of [
      { code: -32603, message: "internal error" },
      { code: -32000, message: "header not found" },
      { code: -32005, message: "limit exceeded" },
      { code: -32000, message: "request timed out" },
      { code: 429, message: "Too Many Requests" },
    ])
      expect(classifyJsonRpcError(e), e.message).to.equal(RpcErrorKind.Transient);
  });

  it("reverts are answers: revert data, code 3, or a revert message", () => {
    expect(classifyJsonRpcError(revertHardhat)).to.equal(RpcErrorKind.Revert);
    expect(classifyJsonRpcError({ code: 3, message: "execution reverted", data: "0x" })).to.equal(RpcErrorKind.Revert);
    expect(classifyJsonRpcError({ code: -32000, message: "execution reverted" })).to.equal(RpcErrorKind.Revert);
    expect(revertDataOf({ info: { error: revertHardhat } })).to.equal(revertHardhat.data.data);
  });

  it("a node's refusals of a transaction are told apart", () => {
    const cases: [string, RpcErrorKind][] = [
      ["Nonce too low. Expected nonce to be 5 but got 4.", RpcErrorKind.NonceTooLow],
      ["nonce has already been used", RpcErrorKind.NonceTooLow],
      ["already known", RpcErrorKind.AlreadyKnown],
      ["Known transaction: 0xabc", RpcErrorKind.AlreadyKnown],
      ["replacement transaction underpriced", RpcErrorKind.Underpriced],
      ["insufficient funds for gas * price + value", RpcErrorKind.Refused],
      ["Transaction gas limit is 30000000 and exceeds block gas limit of 16777216", RpcErrorKind.Refused],
      ["max fee per gas less than block base fee", RpcErrorKind.Refused],
    ];
    for (const [message, kind] of cases)
      expect(classifyJsonRpcError({ code: -32000, message }), message).to.equal(kind);
    expect(classifyJsonRpcError({ code: -32601, message: "Method not found" })).to.equal(RpcErrorKind.Fatal);
  });

  it("transport faults are transient (Node network codes, ethers TIMEOUT and SERVER_ERROR)", () => {
    for (const code of ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "UND_ERR_SOCKET"]) {
      const e = Object.assign(new Error(`connect ${code}`), { code });
      expect(classifyRpcError(e)).to.equal(RpcErrorKind.Transient);
      expect(classifyRpcError(new TypeError("fetch failed", { cause: e }))).to.equal(RpcErrorKind.Transient);
    }
    expect(classifyRpcError(makeError("timeout", "TIMEOUT", { operation: "request" } as never))).to.equal(
      RpcErrorKind.Transient,
    );
    expect(classifyRpcError(makeError("bad response (status=502)", "SERVER_ERROR", { request: {} as never }))).to.equal(
      RpcErrorKind.Transient,
    );
  });

  it("ethers' 'missing revert data' and 'could not coalesce error' from the transport are transient", () => {
    const p = new JsonRpcProvider("http://127.0.0.1:1", 1, { staticNetwork: true });
    const payload = {
      method: "eth_call",
      params: [{ to: "0x" + "11".repeat(20), data: "0x" }, "latest"],
      id: 1,
      jsonrpc: "2.0" as const,
    };
    const fromTransport = p.getRpcError(payload, { id: 1, error: { code: -32603, message: "internal error" } });
    expect(fromTransport.message).to.match(/missing revert data/);
    expect(classifyRpcError(fromTransport)).to.equal(RpcErrorKind.Transient);
    const coalesce = p.getRpcError(
      { method: "eth_blockNumber", params: [], id: 1, jsonrpc: "2.0" },
      { id: 1, error: { code: -32000, message: "header not found" } },
    );
    expect(classifyRpcError(coalesce)).to.equal(RpcErrorKind.Transient);
    const realRevert = p.getRpcError(payload, { id: 1, error: revertHardhat });
    expect(classifyRpcError(realRevert)).to.equal(RpcErrorKind.Revert);
    const sendRefused = p.getRpcError(
      { method: "eth_sendRawTransaction", params: ["0x02"], id: 1, jsonrpc: "2.0" },
      { id: 1, error: { code: -32000, message: "nonce too low" } },
    );
    expect(classifyRpcError(sendRefused)).to.equal(RpcErrorKind.NonceTooLow);
    p.destroy();
  });

  it("a revert keeps its reason, decoded against the deployment's ABIs", () => {
    const e = new JsonRpcProvider("http://127.0.0.1:1", 1, { staticNetwork: true });
    const err = e.getRpcError(
      { method: "eth_estimateGas", params: [{}], id: 1, jsonrpc: "2.0" },
      { id: 1, error: revertHardhat },
    );
    expect(revertReason(err)).to.equal("Registry__NotActive(0x0000000000000000000000000000000000000001)");
    const house = AuctionHouse__factory.createInterface().encodeErrorResult("AuctionHouse__TooExpensive", [5n, 4n]);
    expect(revertReason({ data: house })).to.equal("AuctionHouse__TooExpensive(5, 4)");
    expect(
      revertReason({ data: "0x08c379a0" + AbiCoder.defaultAbiCoder().encode(["string"], ["no"]).slice(2) }),
    ).to.equal("Error(no)");
    e.destroy();
  });

  it("anything else is not retried", () => {
    expect(classifyRpcError(new Error("something unexpected"))).to.equal(RpcErrorKind.Fatal);
    expect(classifyRpcError(undefined)).to.equal(RpcErrorKind.Fatal);
  });
});
