/**
 * The fault-injection JSON-RPC proxy of the keeper and daemon tests (drops, 5xx, JSON-RPC errors,
 * responses lost after execution, delays, full outage; per-method rates; seeded). It lives in
 * scripts/lib/faultProxy.ts so that the benchmark (which may not import test/) runs the same proxy.
 */
export * from "../../scripts/lib/faultProxy";
