pragma circom 2.1.6;

include "./constants.circom";
include "./comparators.circom";
include "./hash.circom";

/*
 * PositionRange(M)
 * Inputs:        size[M], side[M], cost[M]
 * Parameters:    M, the number of markets
 * Functionality: every private position field is in range: size < 2^SIZE_BITS, side in {0, 1}
 *                (0 = long, 1 = short), cost < 2^COST_BITS.
 */
template PositionRange(M) {
    signal input size[M];
    signal input side[M];
    signal input cost[M];

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
 * PositionCommitment(M)
 * Inputs:        salt, size[M], side[M], cost[M]
 * Outputs:       commitment
 * Parameters:    M, the number of markets (1 <= M <= MAX_MARKETS)
 * Functionality: commitment = Poseidon(POSITION_TAG, salt, size_1 + side_1 * 2^SIZE_BITS, cost_1, ...,
 *                size_M + side_M * 2^SIZE_BITS, cost_M). Markets with no position have size = 0, so the
 *                commitment hides which markets are traded.
 * Notes:         NOTE: the packing is injective only for size < 2^SIZE_BITS and side in {0, 1};
 *                callers range-check them with PositionRange(M) (or derive them from checked values).
 */
template PositionCommitment(M) {
    assert(M >= 1 && M <= MAX_MARKETS());
    signal input salt;
    signal input size[M];
    signal input side[M];
    signal input cost[M];
    signal output commitment;

    component h = HashFields(2 + 2 * M);
    h.in[0] <== POSITION_TAG();
    h.in[1] <== salt;
    for (var j = 0; j < M; j++) {
        h.in[2 + 2 * j] <== size[j] + side[j] * (1 << SIZE_BITS());
        h.in[3 + 2 * j] <== cost[j];
    }
    commitment <== h.out;
}
