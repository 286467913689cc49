// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// The precompile calls (ecAdd 6, ecMul 7, ecPairing 8) and the calldata and memory layout need assembly, as in the
// snarkjs verifier this contract mirrors.
/* solhint-disable no-inline-assembly */

import {IBatchVerifier} from "../interfaces/IBatchVerifier.sol";

/// @title BatchVerifier
/// @notice Verifies k Groth16 proofs (snarkjs, BN254) of ONE circuit with one ecPairing call of k + 3 pairs:
///             prod_i e(-r_i A_i, B_i) * e(c_0 alpha, beta) * e(vk_x, gamma) * e(sum_i r_i C_i, delta) == 1
///         with c_0 = sum_i r_i, c_j = sum_i r_i s_ij (mod r) and vk_x = c_0 IC_0 + sum_j c_j IC_j (one ecMul per
///         IC point, not per proof). r_0 = 1 and r_1 .. r_{k-1} come from a Fiat-Shamir transcript of the whole
///         batch (every proof, every public input, the key, a domain tag; r_i also hashes i).
///         Derivation, soundness and gas model: docs/batch-verification.md.
/// @dev Hand-written (not generated). The verification key lives in immutables (PUSH32 in the runtime code), so
///      one contract serves any snarkjs circuit with at most MAX_IC - 1 public inputs and a deployed instance is
///      checked byte for byte against a vkey json (scripts/lib/batchVerifier.ts). Comments marked `snarkjs:`
///      name the line of the exported single verifier (contracts/verifiers/*Verifier.sol) a step corresponds to.
///      Failure semantics (see IBatchVerifier): a malformed batch reverts; an out-of-range value, a failing
///      precompile or a false equation returns false.
contract BatchVerifier is IBatchVerifier {
    /// @dev snarkjs: `r`, the scalar field size (order of G1, G2 and GT).
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @dev snarkjs: `q`, the base field size (every coordinate is an element of F_q or F_q^2).
    uint256 internal constant Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583;
    /// @notice Largest number of IC points (nPublic + 1) of a key.
    uint256 public constant MAX_IC = 8;
    /// @dev Opens the Fiat-Shamir transcript (keccak256("zkmargin.BatchVerifier.v1")).
    bytes32 internal constant DOMAIN = keccak256("zkmargin.BatchVerifier.v1");

    /// @dev Bytes of one member's proof in the transcript: A (2 words), B (4), C (2).
    uint256 private constant PROOF_BYTES = 0x100;
    /// @dev Bytes of one ecPairing pair: G1 (2 words) then G2 (4 words).
    uint256 private constant PAIR_BYTES = 0xc0;
    /// @dev Transcript header: DOMAIN, vkHash, k.
    uint256 private constant HEAD_BYTES = 0x60;
    /// @dev ecMul / ecAdd input scratch at the start of the work area.
    uint256 private constant SCRATCH_BYTES = 0x80;

    /// @inheritdoc IBatchVerifier
    uint256 public immutable nPublic;
    /// @inheritdoc IBatchVerifier
    bytes32 public immutable vkHash;

    // Verification key, in the order the snarkjs verifier's constants and the precompiles take it: G2 points as
    // (x.c1, x.c0, y.c1, y.c0), i.e. snarkjs's betax1, betax2, betay1, betay2. IC points past nPublic are zero.
    uint256 private immutable _alphaX;
    uint256 private immutable _alphaY;
    uint256 private immutable _betaX1;
    uint256 private immutable _betaX2;
    uint256 private immutable _betaY1;
    uint256 private immutable _betaY2;
    uint256 private immutable _gammaX1;
    uint256 private immutable _gammaX2;
    uint256 private immutable _gammaY1;
    uint256 private immutable _gammaY2;
    uint256 private immutable _deltaX1;
    uint256 private immutable _deltaX2;
    uint256 private immutable _deltaY1;
    uint256 private immutable _deltaY2;
    uint256 private immutable _ic0x;
    uint256 private immutable _ic0y;
    uint256 private immutable _ic1x;
    uint256 private immutable _ic1y;
    uint256 private immutable _ic2x;
    uint256 private immutable _ic2y;
    uint256 private immutable _ic3x;
    uint256 private immutable _ic3y;
    uint256 private immutable _ic4x;
    uint256 private immutable _ic4y;
    uint256 private immutable _ic5x;
    uint256 private immutable _ic5y;
    uint256 private immutable _ic6x;
    uint256 private immutable _ic6y;
    uint256 private immutable _ic7x;
    uint256 private immutable _ic7y;

    /// @notice Fixes the verification key. Arguments come from a snarkjs vkey json through `vkeyArgs`
    ///         (scripts/lib/batchVerifier.ts); G2 points in verifyProof's `_pB` order.
    /// @dev Every point is checked (coordinates < q, on the curve; G2 points also in the order-r subgroup, by
    ///      the pairing precompile), so a key the precompiles would refuse cannot be deployed.
    /// @param alpha vk_alpha_1 (x, y)
    /// @param beta vk_beta_2 as [[x.c1, x.c0], [y.c1, y.c0]]
    /// @param gamma vk_gamma_2, same order
    /// @param delta vk_delta_2, same order
    /// @param ic IC_0 .. IC_nPublic (x, y); 1 to MAX_IC points
    constructor(
        uint256[2] memory alpha,
        uint256[2][2] memory beta,
        uint256[2][2] memory gamma,
        uint256[2][2] memory delta,
        uint256[2][] memory ic
    ) {
        if (ic.length == 0 || ic.length > MAX_IC) revert BatchVerifier__KeySize(ic.length);
        _requireG1(alpha, 0, false);
        _requireG2(beta, 1);
        _requireG2(gamma, 2);
        _requireG2(delta, 3);
        uint256[2][MAX_IC] memory p;
        for (uint256 j = 0; j < ic.length; ++j) {
            // An IC point may be the point at infinity (a public input no constraint uses).
            _requireG1(ic[j], 4 + j, true);
            p[j] = ic[j];
        }
        nPublic = ic.length - 1;
        vkHash = keccak256(abi.encode(alpha, beta, gamma, delta, ic));
        (_alphaX, _alphaY) = (alpha[0], alpha[1]);
        (_betaX1, _betaX2, _betaY1, _betaY2) = (beta[0][0], beta[0][1], beta[1][0], beta[1][1]);
        (_gammaX1, _gammaX2, _gammaY1, _gammaY2) = (gamma[0][0], gamma[0][1], gamma[1][0], gamma[1][1]);
        (_deltaX1, _deltaX2, _deltaY1, _deltaY2) = (delta[0][0], delta[0][1], delta[1][0], delta[1][1]);
        (_ic0x, _ic0y, _ic1x, _ic1y) = (p[0][0], p[0][1], p[1][0], p[1][1]);
        (_ic2x, _ic2y, _ic3x, _ic3y) = (p[2][0], p[2][1], p[3][0], p[3][1]);
        (_ic4x, _ic4y, _ic5x, _ic5y) = (p[4][0], p[4][1], p[5][0], p[5][1]);
        (_ic6x, _ic6y, _ic7x, _ic7y) = (p[6][0], p[6][1], p[7][0], p[7][1]);
    }

    /// @inheritdoc IBatchVerifier
    function verifyBatch(
        uint256[2][] calldata a,
        uint256[2][2][] calldata b,
        uint256[2][] calldata c,
        uint256[][] calldata publicSignals
    ) external view returns (bool) {
        uint256 t = _transcriptHead(_requireShape(a.length, b.length, c.length, publicSignals.length, 1));
        _copyProofs(t, a, b, c);
        _copyNestedSignals(t, publicSignals);
        return _verify(t);
    }

    /// @inheritdoc IBatchVerifier
    function verifyBatchFlat(
        uint256[2][] calldata a,
        uint256[2][2][] calldata b,
        uint256[2][] calldata c,
        uint256[] calldata publicSignals
    ) external view returns (bool) {
        uint256 t = _transcriptHead(_requireShape(a.length, b.length, c.length, publicSignals.length, nPublic));
        _copyProofs(t, a, b, c);
        _copyFlatSignals(t, publicSignals);
        return _verify(t);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Transcript: HEAD (DOMAIN, vkHash, k), then per member i the record A_i.x, A_i.y, B_i (4 words as in
    // calldata), C_i.x, C_i.y, s_i1 .. s_in: exactly the calldata words of the batch, in one canonical order
    // for both entry points. The verification below reads the members from this copy. Calldata offsets come
    // from Solidity's ABI decoder, which has checked that every array lies inside the calldata.
    // ---------------------------------------------------------------------------------------------------------

    /// @dev Returns k = na after checking b and c have k elements, the signals array k * perMember (verifyBatch:
    ///      one array per member; verifyBatchFlat: nPublic words per member), and k > 0.
    function _requireShape(
        uint256 na,
        uint256 nb,
        uint256 nc,
        uint256 signals,
        uint256 perMember
    ) private pure returns (uint256) {
        if (nb != na || nc != na || signals != na * perMember) {
            revert BatchVerifier__LengthMismatch(na, nb, nc, signals);
        }
        if (na == 0) revert BatchVerifier__EmptyBatch();
        return na;
    }

    /// @dev Allocates the transcript (HEAD + k records) and writes its header.
    function _transcriptHead(uint256 k) private view returns (uint256 t) {
        t = _alloc(HEAD_BYTES + k * _recordBytes(nPublic));
        bytes32 domain = DOMAIN;
        bytes32 key = vkHash;
        assembly ("memory-safe") {
            mstore(t, domain)
            mstore(add(t, 0x20), key)
            mstore(add(t, 0x40), k)
        }
    }

    /// @dev Copies A_i, B_i, C_i (snarkjs `_pA`, `_pB`, `_pC`, word order kept) into every record.
    function _copyProofs(
        uint256 t,
        uint256[2][] calldata a,
        uint256[2][2][] calldata b,
        uint256[2][] calldata c
    ) private view {
        uint256 k = a.length;
        uint256 stride = _recordBytes(nPublic);
        assembly ("memory-safe") {
            let m := add(t, HEAD_BYTES)
            for {
                let i := 0
            } lt(i, k) {
                i := add(i, 1)
            } {
                calldatacopy(m, add(a.offset, mul(i, 0x40)), 0x40)
                calldatacopy(add(m, 0x40), add(b.offset, mul(i, 0x80)), 0x80)
                calldatacopy(add(m, 0xc0), add(c.offset, mul(i, 0x40)), 0x40)
                m := add(m, stride)
            }
        }
    }

    /// @dev Copies member i's public signals (snarkjs `_pubSignals`) into record i, after checking there are
    ///      nPublic of them (snarkjs: `uint[N] calldata _pubSignals` fixes the count by its type).
    function _copyNestedSignals(uint256 t, uint256[][] calldata publicSignals) private view {
        uint256 n = nPublic;
        for (uint256 i = 0; i < publicSignals.length; ++i) {
            uint256[] calldata s = publicSignals[i];
            if (s.length != n) revert BatchVerifier__SignalCount(i, s.length, n);
            uint256 m = _record(t, n, i) + PROOF_BYTES;
            assembly ("memory-safe") {
                calldatacopy(m, s.offset, mul(n, 0x20))
            }
        }
    }

    /// @dev Copies publicSignals[i * n .. (i + 1) * n) into record i (the length was checked: k * n).
    function _copyFlatSignals(uint256 t, uint256[] calldata publicSignals) private view {
        uint256 n = nPublic;
        uint256 stride = _recordBytes(n);
        uint256 k = _mload(t + 0x40);
        assembly ("memory-safe") {
            let m := add(t, add(HEAD_BYTES, PROOF_BYTES))
            let src := publicSignals.offset
            for {
                let i := 0
            } lt(i, k) {
                i := add(i, 1)
            } {
                calldatacopy(m, src, mul(n, 0x20))
                m := add(m, stride)
                src := add(src, mul(n, 0x20))
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Verification. Coefficients: r_0 = 1 and r_i = keccak256(seed, i) mod r for 1 <= i < k, where
    // seed = keccak256(transcript) (docs/batch-verification.md: why r_0 = 1 loses nothing). Work area: SCRATCH
    // (ecMul/ecAdd input), the coefficients c_0 .. c_n, then the k + 3 pairs of the ecPairing input:
    //   pair i < k : (-(r_i A_i), B_i)        snarkjs: `-A` and `B`, scaled by r_i
    //   pair k     : (c_0 alpha, beta)        snarkjs: `alpha1`, `beta2`; c_0 = sum r_i
    //   pair k + 1 : (vk_x, gamma)            snarkjs: `vk_x`, `gamma2`; vk_x = c_0 IC_0 + sum_j c_j IC_j
    //   pair k + 2 : (sum r_i C_i, delta)     snarkjs: `C`, `delta2`
    // ---------------------------------------------------------------------------------------------------------

    /// @dev Verifies the batch whose transcript starts at t.
    function _verify(uint256 t) private view returns (bool) {
        uint256 k = _mload(t + 0x40);
        uint256 n = nPublic;
        // snarkjs: `checkField` on every public signal (< r). Stricter than snarkjs: every proof coordinate must
        // be < q too. snarkjs leaves A.y unchecked and negates it as (q - A.y) mod q, which maps some A.y >= q
        // onto a valid -A (an alias of the proof's bytes); here such a member makes the batch return false.
        if (!_inRange(t, k, n)) return false;
        uint256 w = _alloc(SCRATCH_BYTES + (n + 1) * 0x20 + (k + 3) * PAIR_BYTES);
        uint256 coef = w + SCRATCH_BYTES;
        uint256 pairs = coef + (n + 1) * 0x20;
        _memberPairs(t, k, n, w);
        _keyPairs(pairs + k * PAIR_BYTES, coef, n, w);
        return _pairing(pairs, k + 3);
    }

    /// @dev Every proof coordinate < q and every public signal < r (snarkjs: `checkField`, signals only).
    function _inRange(uint256 t, uint256 k, uint256 n) private pure returns (bool ok) {
        uint256 stride = _recordBytes(n);
        assembly ("memory-safe") {
            // The two coordinates at p and p + 32 are < q (q passed on the stack: the optimiser would otherwise
            // load the constant with CODECOPY at every use).
            function fq2(p, q) -> b {
                b := and(lt(mload(p), q), lt(mload(add(p, 0x20)), q))
            }
            let q := Q
            let r := R
            ok := 1
            let end := add(add(t, HEAD_BYTES), mul(k, stride))
            for {
                let m := add(t, HEAD_BYTES)
            } lt(m, end) {
                m := add(m, stride)
            } {
                // A (x, y), B (4 words), C (x, y)
                ok := and(
                    ok,
                    and(and(fq2(m, q), fq2(add(m, 0x40), q)), and(fq2(add(m, 0x80), q), fq2(add(m, 0xc0), q)))
                )
                for {
                    let p := add(m, PROOF_BYTES)
                } lt(p, add(m, stride)) {
                    p := add(p, 0x20)
                } {
                    ok := and(ok, lt(mload(p), r))
                }
            }
        }
    }

    // One assembly block, so over the line limit: Yul helpers cannot be shared between blocks, and a Solidity
    // call per proof would cost gas for no gain in reading.
    /// @dev Pairs 0 .. k-1, sum r_i C_i (pair k + 2's G1 half) and the coefficients c_0 .. c_n.
    // solhint-disable-next-line function-max-lines
    function _memberPairs(uint256 t, uint256 k, uint256 n, uint256 w) private view {
        assembly ("memory-safe") {
            function fail() {
                mstore(0x00, 0)
                return(0x00, 0x20)
            }
            // snarkjs `g1_mulAccC`, first half: out := s * (x, y) (ecMul, precompile 7).
            function ecMul(out, x, y, s, scratch) {
                mstore(scratch, x)
                mstore(add(scratch, 0x20), y)
                mstore(add(scratch, 0x40), s)
                if iszero(staticcall(gas(), 0x07, scratch, 0x60, out, 0x40)) {
                    fail()
                }
            }
            // snarkjs `g1_mulAccC`: acc := acc + s * (x, y) (ecMul into the scratch, then ecAdd, precompile 6).
            function ecMulAcc(acc, x, y, s, scratch) {
                ecMul(scratch, x, y, s, scratch)
                mstore(add(scratch, 0x40), mload(acc))
                mstore(add(scratch, 0x60), mload(add(acc, 0x20)))
                if iszero(staticcall(gas(), 0x06, scratch, 0x80, acc, 0x40)) {
                    fail()
                }
            }
            // Member at m with coefficient ri: pair := (-(ri A), B); accC += ri C; c_0 += ri; c_j += ri s_j.
            function member(m, ri, pair, accC, coef, signals, scratch) {
                ecMul(pair, mload(m), mload(add(m, 0x20)), ri, scratch)
                // snarkjs `-A`: mod(sub(q, y), q); y is the precompile's output, so y < q and this is exact
                // (the point at infinity (0, 0) stays (0, 0)).
                mstore(add(pair, 0x20), mod(sub(Q, mload(add(pair, 0x20))), Q))
                // snarkjs `B`: the four words of `_pB` in calldata order (x.c1, x.c0, y.c1, y.c0).
                mcopy(add(pair, 0x40), add(m, 0x40), 0x80)
                // snarkjs `C` goes into the pairing as is; here r_i C_i is summed into pair k + 2's G1 half.
                ecMulAcc(accC, mload(add(m, 0xc0)), mload(add(m, 0xe0)), ri, scratch)
                // snarkjs: one `g1_mulAccC(IC_j, s_j)` per signal per proof; here the scalars are combined so
                // that the MSM runs once, in _keyPairs.
                mstore(coef, addmod(mload(coef), ri, R))
                let s := add(m, PROOF_BYTES)
                for {
                    let j := 0
                } lt(j, signals) {
                    j := add(j, 1)
                } {
                    let cj := add(coef, shl(5, add(j, 1)))
                    mstore(cj, addmod(mload(cj), mulmod(ri, mload(add(s, shl(5, j))), R), R))
                }
            }

            let stride := add(PROOF_BYTES, shl(5, n))
            let coef := add(w, SCRATCH_BYTES)
            let pairs := add(coef, shl(5, add(n, 1)))
            let accC := add(pairs, mul(add(k, 2), PAIR_BYTES))
            let m := add(t, HEAD_BYTES)
            // Member 0, r_0 = 1: pair 0 := (-A_0, B_0) exactly as snarkjs (A_0.y < q was checked, so the negation
            // is exact); sum C := C_0; c_0 := 1; c_j := s_0j. The precompiles check A_0, B_0 and C_0 where they
            // first use them (the pairing, or the first ecAdd into accC).
            mstore(pairs, mload(m))
            mstore(add(pairs, 0x20), mod(sub(Q, mload(add(m, 0x20))), Q))
            mcopy(add(pairs, 0x40), add(m, 0x40), 0x80)
            mcopy(accC, add(m, 0xc0), 0x40)
            mstore(coef, 1)
            mcopy(add(coef, 0x20), add(m, PROOF_BYTES), shl(5, n))
            if gt(k, 1) {
                mstore(0x00, keccak256(t, add(HEAD_BYTES, mul(k, stride)))) // seed
                for {
                    let i := 1
                } lt(i, k) {
                    i := add(i, 1)
                } {
                    m := add(m, stride)
                    mstore(0x20, i)
                    member(m, mod(keccak256(0x00, 0x40), R), add(pairs, mul(i, PAIR_BYTES)), accC, coef, n, w)
                }
            }
        }
    }

    /// @dev Pairs k (alpha, beta) and k + 1 (vk_x, gamma), and delta in pair k + 2 (its G1 half, sum r_i C_i, is
    ///      already in place).
    function _keyPairs(uint256 p, uint256 coef, uint256 n, uint256 scratch) private view {
        uint256 c0 = _mload(coef);
        // snarkjs `alpha1` / `beta2`, scaled by c_0 = sum r_i: prod_i e(alpha, beta)^r_i = e(c_0 alpha, beta).
        // When c_0 = 1 (always for k = 1) c_0 alpha = alpha: snarkjs's pair exactly, without an ecMul.
        if (c0 == 1) _store2(p, _alphaX, _alphaY);
        else _g1Mul(p, _alphaX, _alphaY, c0, scratch);
        _store4(p + 0x40, _betaX1, _betaX2, _betaY1, _betaY2);
        p += PAIR_BYTES;
        // snarkjs `vk_x`: IC0, then g1_mulAccC(IC_j, s_j) per signal; here IC_0 is scaled by c_0 and IC_j by c_j.
        if (c0 == 1) _store2(p, _ic0x, _ic0y);
        else _g1Mul(p, _ic0x, _ic0y, c0, scratch);
        if (n > 0) _g1MulAcc(p, _ic1x, _ic1y, _mload(coef + 0x20), scratch);
        if (n > 1) _g1MulAcc(p, _ic2x, _ic2y, _mload(coef + 0x40), scratch);
        if (n > 2) _g1MulAcc(p, _ic3x, _ic3y, _mload(coef + 0x60), scratch);
        if (n > 3) _g1MulAcc(p, _ic4x, _ic4y, _mload(coef + 0x80), scratch);
        if (n > 4) _g1MulAcc(p, _ic5x, _ic5y, _mload(coef + 0xa0), scratch);
        if (n > 5) _g1MulAcc(p, _ic6x, _ic6y, _mload(coef + 0xc0), scratch);
        if (n > 6) _g1MulAcc(p, _ic7x, _ic7y, _mload(coef + 0xe0), scratch);
        // snarkjs `gamma2`
        _store4(p + 0x40, _gammaX1, _gammaX2, _gammaY1, _gammaY2);
        p += PAIR_BYTES;
        // snarkjs `delta2`
        _store4(p + 0x40, _deltaX1, _deltaX2, _deltaY1, _deltaY2);
    }

    /// @dev snarkjs: `staticcall(sub(gas(), 2000), 8, _pPairing, 768, _pPairing, 0x20)` and
    ///      `isOk := and(success, mload(_pPairing))`, with `count` pairs instead of 4.
    function _pairing(uint256 pairs, uint256 count) private view returns (bool ok) {
        assembly ("memory-safe") {
            let success := staticcall(gas(), 0x08, pairs, mul(count, PAIR_BYTES), 0x00, 0x20)
            ok := and(success, mload(0x00))
        }
    }

    /// @dev out := s * (x, y) (ecMul). A refused input (a point off the curve) ends the call with false, as snarkjs.
    function _g1Mul(uint256 out, uint256 x, uint256 y, uint256 s, uint256 scratch) private view {
        assembly ("memory-safe") {
            mstore(scratch, x)
            mstore(add(scratch, 0x20), y)
            mstore(add(scratch, 0x40), s)
            if iszero(staticcall(gas(), 0x07, scratch, 0x60, out, 0x40)) {
                mstore(0x00, 0)
                return(0x00, 0x20)
            }
        }
    }

    /// @dev acc := acc + s * (x, y) (snarkjs `g1_mulAccC`), ending the call with false if a precompile refuses.
    function _g1MulAcc(uint256 acc, uint256 x, uint256 y, uint256 s, uint256 scratch) private view {
        _g1Mul(scratch, x, y, s, scratch);
        assembly ("memory-safe") {
            mstore(add(scratch, 0x40), mload(acc))
            mstore(add(scratch, 0x60), mload(add(acc, 0x20)))
            if iszero(staticcall(gas(), 0x06, scratch, 0x80, acc, 0x40)) {
                mstore(0x00, 0)
                return(0x00, 0x20)
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Constructor checks.
    // ---------------------------------------------------------------------------------------------------------

    /// @dev (x, y) has coordinates < q and is on y^2 = x^3 + 3 (ecAdd refuses it otherwise; G1 has cofactor 1, so
    ///      on the curve is in the group), or is (0, 0) when `infinityAllowed`.
    function _requireG1(uint256[2] memory p, uint256 index, bool infinityAllowed) private view {
        (uint256 x, uint256 y) = (p[0], p[1]);
        if (x >= Q || y >= Q) revert BatchVerifier__KeyPoint(index);
        if (x == 0 && y == 0) {
            if (!infinityAllowed) revert BatchVerifier__KeyPoint(index);
            return;
        }
        bool ok;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, x)
            mstore(add(m, 0x20), y)
            mstore(add(m, 0x40), 0)
            mstore(add(m, 0x60), 0)
            ok := staticcall(gas(), 0x06, m, 0x80, m, 0x40)
        }
        if (!ok) revert BatchVerifier__KeyPoint(index);
    }

    /// @dev The G2 point has coordinates < q, is not the point at infinity, and e(g1, P) * e(-g1, P) == 1 succeeds
    ///      (the pairing precompile refuses a point off the twist or outside the order-r subgroup).
    function _requireG2(uint256[2][2] memory p, uint256 index) private view {
        (uint256 x1, uint256 x2, uint256 y1, uint256 y2) = (p[0][0], p[0][1], p[1][0], p[1][1]);
        if (x1 >= Q || x2 >= Q || y1 >= Q || y2 >= Q) revert BatchVerifier__KeyPoint(index);
        if ((x1 | x2 | y1 | y2) == 0) revert BatchVerifier__KeyPoint(index);
        uint256 m = _alloc(2 * PAIR_BYTES);
        _store2(m, 1, 2); // generator of G1
        _store4(m + 0x40, x1, x2, y1, y2);
        _store2(m + PAIR_BYTES, 1, Q - 2); // its negation
        _store4(m + PAIR_BYTES + 0x40, x1, x2, y1, y2);
        if (!_pairing(m, 2)) revert BatchVerifier__KeyPoint(index);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Memory.
    // ---------------------------------------------------------------------------------------------------------

    function _recordBytes(uint256 n) private pure returns (uint256) {
        return PROOF_BYTES + n * 0x20;
    }

    function _record(uint256 t, uint256 n, uint256 i) private pure returns (uint256) {
        return t + HEAD_BYTES + i * _recordBytes(n);
    }

    function _alloc(uint256 size) private pure returns (uint256 p) {
        assembly ("memory-safe") {
            p := mload(0x40)
            mstore(0x40, add(p, size))
        }
    }

    function _mload(uint256 p) private pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := mload(p)
        }
    }

    function _store2(uint256 p, uint256 x, uint256 y) private pure {
        assembly ("memory-safe") {
            mstore(p, x)
            mstore(add(p, 0x20), y)
        }
    }

    function _store4(uint256 p, uint256 x1, uint256 x2, uint256 y1, uint256 y2) private pure {
        assembly ("memory-safe") {
            mstore(p, x1)
            mstore(add(p, 0x20), x2)
            mstore(add(p, 0x40), y1)
            mstore(add(p, 0x60), y2)
        }
    }
}
