pragma circom 2.1.6;

include "circomlib/circuits/comparators.circom";
include "./constants.circom";
include "./comparators.circom";
include "./hash.circom";

/*
 * StateRange(M)
 * Inputs:        cash, size[M], side[M], cost[M]
 * Outputs:       none
 * Parameters:    M, the number of markets
 * Functionality: every private field of a v2 state is in range: cash + 2^127 < 2^128 (|c| <= 2^127 as
 *                a signed field element, negative c written p - |c|), size < 2^SIZE_BITS, side in {0, 1}
 *                (0 = long, 1 = short), cost < 2^COST_BITS.
 * Notes:         the salt is any field element; SaltRule(M) and NonZeroSalt() constrain it.
 */
template StateRange(M) {
    signal input cash;
    signal input size[M];
    signal input side[M];
    signal input cost[M];

    component cashBits = RangeCheck(CASH_BITS());
    cashBits.in <== cash + (1 << CASH_OFFSET_BITS());
    component sizeBits[M];
    component costBits[M];
    for (var j = 0; j < M; j++) {
        sizeBits[j] = RangeCheck(SIZE_BITS());
        sizeBits[j].in <== size[j];
        side[j] * (side[j] - 1) === 0;
        costBits[j] = RangeCheck(COST_BITS());
        costBits[j].in <== cost[j];
    }
}

/*
 * StateCommitment(M)
 * Inputs:        salt, cash, size[M], side[M], cost[M]
 * Outputs:       commitment
 * Parameters:    M, the number of markets (1 <= M <= MAX_MARKETS)
 * Functionality: commitment = Poseidon(STATE_TAG, salt, cash, size_0 + side_0 2^SIZE_BITS, cost_0, ...,
 *                size_{M-1} + side_{M-1} 2^SIZE_BITS, cost_{M-1}) (11 inputs for M = 4). Markets with no
 *                position have size = 0, so the commitment hides which markets are traded.
 * Notes:         NOTE: the packing is injective only for size < 2^SIZE_BITS and side in {0, 1}; callers
 *                range-check them with StateRange(M) (or derive them from checked values).
 *                Mirrored by commitment() in prover/model/state.ts.
 */
template StateCommitment(M) {
    assert(M >= 1 && M <= MAX_MARKETS());
    signal input salt;
    signal input cash;
    signal input size[M];
    signal input side[M];
    signal input cost[M];
    signal output commitment;

    component h = HashFields(3 + 2 * M);
    h.in[0] <== STATE_TAG();
    h.in[1] <== salt;
    h.in[2] <== cash;
    for (var j = 0; j < M; j++) {
        h.in[3 + 2 * j] <== size[j] + side[j] * (1 << SIZE_BITS());
        h.in[4 + 2 * j] <== cost[j];
    }
    commitment <== h.out;
}

/*
 * SaltRule(M)
 * Inputs:        salt, cash, size[M], side[M], cost[M]   an opened (old) state
 * Outputs:       none
 * Parameters:    M, the number of markets
 * Functionality: salt = 0 implies the empty state: c = 0, and every q_j = K_j = 0 with side long. With
 *                z = (salt == 0): z c = 0, z q_j = 0, z K_j = 0, z s_j = 0.
 * Notes:         the empty state (salt 0) is the public constant the registry stores on open; every
 *                state a proof creates has salt != 0 (NonZeroSalt), so no other state has a salt the
 *                world can guess.
 */
template SaltRule(M) {
    signal input salt;
    signal input cash;
    signal input size[M];
    signal input side[M];
    signal input cost[M];

    component isZero = IsZero();
    isZero.in <== salt;
    signal empty <== isZero.out;
    empty * cash === 0;
    for (var j = 0; j < M; j++) {
        empty * size[j] === 0;
        empty * cost[j] === 0;
        empty * side[j] === 0;
    }
}

/*
 * NonZeroSalt()
 * Inputs:        salt        the salt of a state a proof creates
 * Outputs:       none
 * Parameters:    none
 * Functionality: salt != 0 (salt has an inverse: salt * inverse === 1).
 * Notes:         NOTE: the prover draws every salt uniformly below p and never reuses one; the circuit can
 *                only refuse 0, the salt reserved for the public empty state.
 */
template NonZeroSalt() {
    signal input salt;
    signal inverse <-- salt != 0 ? 1 / salt : 0;
    salt * inverse === 1;
}
