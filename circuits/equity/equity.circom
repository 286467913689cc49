pragma circom 2.1.6;

include "../lib/constants.circom";
include "../lib/comparators.circom";
include "../lib/margin.circom";
include "../lib/position.circom";

/*
 * Equity(M): statement 3, equity at a liquidation snapshot.
 * Inputs (public):  commitment   the commitment C the account had when it was liquidated
 *                   value        collateral value V at the liquidation snapshot
 *                   context      keccak(chainId, registry, account, challenge id) mod p
 *                   price[M]     the prices pinned by the expired challenge
 * Inputs (private): salt, size[M], side[M], cost[M]   the opening of C
 * Outputs (public): equity       V + unrealised PnL at the snapshot (value units)
 * Parameters:       M, the number of markets
 * Functionality:    lets an owner who was offline claim back equity minus the liquidation penalty.
 * Notes:            NOTE: an account with negative equity cannot make this proof (Check (4) fails): it has
 *                   nothing to claim. The contract rebuilds value, context and prices from storage.
 */
template Equity(M) {
    signal input commitment;
    signal input value;
    signal input context;
    signal input price[M];

    signal input salt;
    signal input size[M];
    signal input side[M];
    signal input cost[M];

    signal output equity;

    // Check (1): position fields in range
    component positionRange = PositionRange(M);
    positionRange.size <== size;
    positionRange.side <== side;
    positionRange.cost <== cost;

    // Check (2): the private position opens the public commitment
    component opening = PositionCommitment(M);
    opening.salt <== salt;
    opening.size <== size;
    opening.side <== side;
    opening.cost <== cost;
    opening.commitment === commitment;

    // Check (3): value and prices in range
    component marketRange = MarketRange(M);
    marketRange.value <== value;
    marketRange.price <== price;

    // Check (4): equity = assets - liabilities, and it is non-negative (no field wrap-around)
    component sides = EquitySides(M);
    sides.value <== value;
    sides.size <== size;
    sides.side <== side;
    sides.cost <== cost;
    sides.price <== price;
    for (var j = 0; j < M; j++) {
        sides.ratio[j] <== 0;
    }
    equity <== sides.assets - sides.liabilities;
    component equityBits = RangeCheck(MARGIN_BITS());
    equityBits.in <== equity;

    // Check (5): the context is bound to the proof (a public input no other constraint uses)
    signal contextSquared;
    contextSquared <== context * context;
}
