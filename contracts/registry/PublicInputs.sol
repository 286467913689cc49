// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {PoseidonT4} from "poseidon-solidity/PoseidonT4.sol";
import {PoseidonT5} from "poseidon-solidity/PoseidonT5.sol";

/// @title PublicInputs
/// @notice Rebuilds the circuits' public inputs from registry storage (prover/model mirrors each one).
library PublicInputs {
    /// @notice BN254 scalar field modulus: every public signal must be below it.
    uint256 internal constant FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice |pnl| and equity are below 2^200 by the circuits' bit widths.
    uint256 internal constant SIGNED_BOUND = 1 << 200;
    /// @notice Commitment of the empty state (salt 0, no positions) for M = 4, as computed by
    ///         prover/model `commitment(emptyState(4))`; test/contracts checks it.
    uint256 internal constant EMPTY_COMMITMENT = 0x177782356ce63e69b937807ded3c5a6a78b715c45c1589799cb47d1e26c9e44e;

    error PublicInputs__NotInField(uint256 value);
    error PublicInputs__SignedOutOfRange(int256 value);

    /// @notice context = keccak256(abi.encode(chainId, registry, account, nonce)) mod p.
    function context(address account, uint256 nonce) internal view returns (uint256) {
        return uint256(keccak256(abi.encode(block.chainid, address(this), account, nonce))) % FIELD;
    }

    /// @notice Solvency's snapshotHash = Poseidon(context, pricesHash, ratiosHash), with
    ///         pricesHash = listHash(prices) (computed once for a whole batch of challenges).
    function snapshotHash(uint256 ctx, uint256 pricesHash, uint256 ratiosHash) internal pure returns (uint256) {
        return PoseidonT4.hash([ctx, pricesHash, ratiosHash]);
    }

    /// @notice Poseidon over four prices or ratios (HashFields(4) in the circuits).
    function listHash(uint64[4] memory values) internal pure returns (uint256) {
        return PoseidonT5.hash([uint256(values[0]), values[1], values[2], values[3]]);
    }

    /// @notice A signed value as a field element (negative x is p - |x|).
    function encodeSigned(int256 x) internal pure returns (uint256) {
        uint256 magnitude = x >= 0 ? uint256(x) : uint256(-x);
        if (x == type(int256).min || magnitude >= SIGNED_BOUND) revert PublicInputs__SignedOutOfRange(x);
        return x >= 0 ? magnitude : FIELD - magnitude;
    }

    function requireField(uint256 value) internal pure {
        if (value >= FIELD) revert PublicInputs__NotInField(value);
    }

    /// @notice Four 64-bit prices in one storage word.
    function pack(uint64[4] memory p) internal pure returns (uint256) {
        return uint256(p[0]) | (uint256(p[1]) << 64) | (uint256(p[2]) << 128) | (uint256(p[3]) << 192);
    }

    function unpack(uint256 w) internal pure returns (uint64[4] memory p) {
        p[0] = uint64(w);
        p[1] = uint64(w >> 64);
        p[2] = uint64(w >> 128);
        p[3] = uint64(w >> 192);
    }
}
