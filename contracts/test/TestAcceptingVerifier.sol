// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice TEST ONLY: a verifier that accepts every proof (any verifyProof or verifyBatch call returns true).
///         The registry's invariant test installs its code over the real verifiers' addresses
///         (hardhat_setCode), so random operation sequences exercise the registry's bookkeeping (collateral,
///         bonds, the fund's ledger, auctions) without a proof per step. Every other registry test uses the
///         real verifiers and real proofs.
contract TestAcceptingVerifier {
    fallback(bytes calldata) external returns (bytes memory) {
        return abi.encode(true);
    }
}
