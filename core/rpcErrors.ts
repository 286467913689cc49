/**
 * One place that tells a transient JSON-RPC failure (retry the same call) from an answer (a revert, a
 * node's refusal of a transaction, a bad request). The keeper and the trader daemon share it.
 *
 * Transient: transport faults (refused or reset connections, timeouts, HTTP 5xx and 429), and JSON-RPC
 * errors that carry neither revert data nor a known refusal (for example `-32603 internal error`,
 * `-32000 header not found`, `-32005 limit exceeded`). ethers turns a transient JSON-RPC error on
 * eth_call or eth_estimateGas into CALL_EXCEPTION "missing revert data", and an unparseable answer into
 * "could not coalesce error": both are transient unless revert data or a revert message is present.
 *
 * Answers: reverts (revert data, or a "reverted" / "VM Exception" message), refusals of a transaction
 * (nonce too low, already known, replacement underpriced, insufficient funds, gas limit), and requests
 * the node will never accept (-32601 method not found, -32602 invalid params).
 */

export enum RpcErrorKind {
  /** Retry the same call: nothing was answered. */
  Transient = "transient",
  /** The call executed and reverted (eth_call, eth_estimateGas, or a mined transaction). */
  Revert = "revert",
  /** The nonce was already used (possibly by our own earlier send that landed). */
  NonceTooLow = "nonce-too-low",
  /** The node already has this very transaction (a retried send that arrived). */
  AlreadyKnown = "already-known",
  /** A replacement did not raise the fees enough. */
  Underpriced = "underpriced",
  /** The node refused the transaction for good (funds, gas limit, fee below base fee, bad sender). */
  Refused = "refused",
  /** A request the node will never accept, or something that is not an RPC failure at all. */
  Fatal = "fatal",
}

const TRANSPORT_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "TIMEOUT", // ethers FetchRequest timeout
  "SERVER_ERROR", // ethers: non-2xx HTTP status, or a body that is not JSON
  "NETWORK_ERROR",
]);

const REVERT_MESSAGE = /revert|VM Exception|invalid opcode|out of gas|stack underflow|invalid jump/i;
const REFUSALS: readonly [RegExp, RpcErrorKind][] = [
  [/nonce too low|nonce has already been used|nonce is too low|OldNonce/i, RpcErrorKind.NonceTooLow],
  [/already known|known transaction|already imported|AlreadyKnown/i, RpcErrorKind.AlreadyKnown],
  [/replacement (transaction )?underpriced|ReplacementUnderpriced/i, RpcErrorKind.Underpriced],
  [
    /insufficient funds|exceeds block gas limit|gas limit|intrinsic gas|less than block base fee|maxFeePerGas|invalid sender|nonce too high|too high nonce|transaction type not supported|exceeds the configured cap/i,
    RpcErrorKind.Refused,
  ],
];

/** A JSON-RPC error object ({ code, message, data }) as a node returns it. */
export interface JsonRpcErrorLike {
  readonly code?: unknown;
  readonly message?: unknown;
  readonly data?: unknown;
}

function hexData(d: unknown, depth = 0): string | undefined {
  if (typeof d === "string") return /^0x[0-9a-fA-F]{8,}$/.test(d) ? d : undefined;
  if (depth < 3 && d !== null && typeof d === "object") return hexData((d as { data?: unknown }).data, depth + 1);
  return undefined;
}

/** Classifies the `error` member of a JSON-RPC response (before ethers interprets it). */
export function classifyJsonRpcError(err: JsonRpcErrorLike): RpcErrorKind {
  const code = typeof err.code === "number" ? err.code : undefined;
  const message = typeof err.message === "string" ? err.message : "";
  if (code === 3 || hexData(err.data) !== undefined || REVERT_MESSAGE.test(message)) return RpcErrorKind.Revert;
  for (const [re, kind] of REFUSALS) if (re.test(message)) return kind;
  if (code === -32601 || code === -32602 || code === -32700 || code === -32600) return RpcErrorKind.Fatal;
  return RpcErrorKind.Transient;
}

/** The revert data carried by an error (ethers' CallException `data`, or a nested JSON-RPC error). */
export function revertDataOf(e: unknown): string | undefined {
  for (let x: unknown = e, depth = 0; x !== null && typeof x === "object" && depth < 6; depth++) {
    const o = x as { data?: unknown; error?: unknown; info?: { error?: unknown }; cause?: unknown };
    const d = hexData(o.data);
    if (d !== undefined) return d;
    x = o.info?.error ?? o.error ?? o.cause;
  }
  return undefined;
}

function messagesOf(e: unknown): string {
  const parts: string[] = [];
  for (let x: unknown = e, depth = 0; x !== null && x !== undefined && depth < 6; depth++) {
    if (typeof x === "string") {
      parts.push(x);
      break;
    }
    if (typeof x !== "object") break;
    const o = x as {
      message?: unknown;
      shortMessage?: unknown;
      reason?: unknown;
      error?: unknown;
      info?: { error?: unknown };
      cause?: unknown;
    };
    for (const m of [o.shortMessage, o.message, o.reason]) if (typeof m === "string") parts.push(m);
    x = o.info?.error ?? o.error ?? o.cause;
  }
  return parts.join(" | ");
}

function codesOf(e: unknown): unknown[] {
  const out: unknown[] = [];
  for (let x: unknown = e, depth = 0; x !== null && typeof x === "object" && depth < 6; depth++) {
    const o = x as { code?: unknown; error?: unknown; info?: { error?: unknown }; cause?: unknown };
    out.push(o.code);
    x = o.info?.error ?? o.error ?? o.cause;
  }
  return out;
}

/**
 * Classifies anything a provider call threw: an ethers error (with its `info.error` / `error` / `cause`
 * chain), a Node network error, or a raw JSON-RPC error object.
 */
export function classifyRpcError(e: unknown): RpcErrorKind {
  if (e === null || e === undefined) return RpcErrorKind.Fatal;
  const codes = codesOf(e);
  const message = messagesOf(e);
  if (revertDataOf(e) !== undefined) return RpcErrorKind.Revert;
  for (const [re, kind] of REFUSALS) if (re.test(message)) return kind;
  if (codes.some((c) => typeof c === "string" && TRANSPORT_CODES.has(c))) return RpcErrorKind.Transient;
  if (/missing revert data|could not coalesce error/i.test(message)) {
    // ethers' words for a JSON-RPC error it could not read as a revert: transient unless it says revert
    return /execution reverted|VM Exception|reverted with/i.test(message)
      ? RpcErrorKind.Revert
      : RpcErrorKind.Transient;
  }
  if (codes.includes("CALL_EXCEPTION")) return RpcErrorKind.Revert;
  if (REVERT_MESSAGE.test(message)) return RpcErrorKind.Revert;
  if (/socket hang up|fetch failed|network|timeout|timed out|aborted|terminated|other side closed/i.test(message))
    return RpcErrorKind.Transient;
  const rpcCode = codes.find((c) => typeof c === "number");
  if (rpcCode !== undefined) return classifyJsonRpcError({ code: rpcCode, message });
  return RpcErrorKind.Fatal;
}

export function isTransientRpcError(e: unknown): boolean {
  return classifyRpcError(e) === RpcErrorKind.Transient;
}
