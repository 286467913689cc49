// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice Batch verifier of Groth16 proofs (snarkjs, BN254) of one circuit: k proofs checked with one
///         ecPairing call of k + 3 pairs. See docs/batch-verification.md and contracts/verifiers-batch/.
/// @dev What is refused and how:
///      - a malformed batch (k = 0, arrays of different lengths, a member with a number of public signals
///        other than nPublic) REVERTS with one of the errors below: it is a bug of the caller, not a proof;
///      - a batch containing an invalid value (a public signal >= r, a proof coordinate >= q, a point off
///        the curve or outside its subgroup) or a false proof RETURNS false, as the snarkjs verifier's
///        verifyProof does for the checks it makes.
interface IBatchVerifier {
    /// @notice The batch has no member (k = 0).
    error BatchVerifier__EmptyBatch();
    /// @notice a, b, c and the public signals do not describe the same number of proofs (for
    ///         verifyBatchFlat, `signals` is publicSignals.length and must be k * nPublic).
    error BatchVerifier__LengthMismatch(uint256 a, uint256 b, uint256 c, uint256 signals);
    /// @notice Member `index` has `length` public signals; the circuit has `expected`.
    error BatchVerifier__SignalCount(uint256 index, uint256 length, uint256 expected);
    /// @notice Constructor: a verification key has 1..MAX_IC IC points (nPublic + 1); this one has `icLength`.
    error BatchVerifier__KeySize(uint256 icLength);
    /// @notice Constructor: point `index` of the key (0 alpha, 1 beta, 2 gamma, 3 delta, 4 + j IC_j) has a
    ///         coordinate >= q, is not on its curve or subgroup, or is the point at infinity where that is
    ///         not allowed (alpha, beta, gamma, delta).
    error BatchVerifier__KeyPoint(uint256 index);

    /// @notice Number of public inputs of the circuit (the key has nPublic + 1 IC points).
    function nPublic() external view returns (uint256);

    /// @notice keccak256 of the ABI-encoded constructor arguments (alpha, beta, gamma, delta, IC): names the
    ///         verification key; it also opens the Fiat-Shamir transcript.
    function vkHash() external view returns (bytes32);

    /// @notice Verifies k proofs of the circuit together; true exactly when (up to a soundness error of
    ///         about 2^-251 per attempt) every member would pass the snarkjs verifier's verifyProof with
    ///         every coordinate in range.
    /// @param a A_i, as verifyProof's `_pA` (affine x, y)
    /// @param b B_i, as verifyProof's `_pB`: [[x.c1, x.c0], [y.c1, y.c0]] (snarkjs exportSolidityCallData)
    /// @param c C_i, as verifyProof's `_pC`
    /// @param publicSignals the public signals of member i, nPublic of them, each < r
    function verifyBatch(
        uint256[2][] calldata a,
        uint256[2][2][] calldata b,
        uint256[2][] calldata c,
        uint256[][] calldata publicSignals
    ) external view returns (bool);

    /// @notice verifyBatch with the public signals of every member concatenated: member i's are
    ///         publicSignals[i * nPublic .. (i + 1) * nPublic). Same transcript, same result; no offset
    ///         and length word per member in calldata.
    function verifyBatchFlat(
        uint256[2][] calldata a,
        uint256[2][2][] calldata b,
        uint256[2][] calldata c,
        uint256[] calldata publicSignals
    ) external view returns (bool);
}
