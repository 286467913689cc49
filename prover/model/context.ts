/**
 * The proof context with its domain (core/encoding.ts), part of the model's API:
 * ctx = keccak256(abi.encode(uint256 domain, uint256 chainId, address registry, address account, uint256 nonce)) mod p.
 */
export { Domain, contextOf } from "../../core/encoding";
