pragma circom 2.1.6;

include "circomlib/circuits/comparators.circom";
include "../lib/constants.circom";
include "../lib/comparators.circom";
include "../lib/margin.circom";
include "../lib/position.circom";

/*
 * Update(M): statement 2, one private state transition (open / increase / reduce / close / withdraw).
 * Inputs (public):  oldCommitment   C stored on chain
 *                   newCommitment   C' the contract stores if the proof verifies
 *                   value           collateral value V after the update (after the withdrawal, if any,
 *                                   and after settling pnl), computed by the contract
 *                   pnl             realised PnL the vault settles, a signed value encoded in the field
 *                                   (negative x is p - x)
 *                   context         keccak(chainId, registry, account, state nonce) mod p
 *                   price[M]        current oracle prices
 *                   ratio[M]        initial margin ratios (basis points)
 * Inputs (private): oldSalt, size[M], side[M], cost[M]  the opening of C
 *                   newSalt                             fresh blinding salt of C'
 *                   select[M]       one-hot market of the trade, all zero for a pure withdrawal
 *                   increase        1 = open or increase, 0 = reduce or close
 *                   openSide        side of a position opened from size 0 (0 = long, 1 = short)
 *                   tradeSize       size traded (0 when no market is selected)
 *                   costRemoved     floor(cost * tradeSize / size) of the traded market when reducing
 * Outputs:          none
 * Parameters:       M, the number of markets
 * Functionality:    the trade executes at the public oracle price of the selected market; reducing a
 *                   position realises PnL on the proportional share of its cost basis (long: dq P - Kr,
 *                   short: Kr - dq P); the new state meets INITIAL margin at current prices with V.
 * Notes:            NOTE: a trade cannot flip a position's side: close, then open the other side.
 *                   NOTE: the contract settles exactly `pnl` and computes `value` with it applied.
 *                   NOTE: the verifier checks every public signal is below p.
 */
template Update(M) {
    signal input oldCommitment;
    signal input newCommitment;
    signal input value;
    signal input pnl;
    signal input context;
    signal input price[M];
    signal input ratio[M];

    signal input oldSalt;
    signal input size[M];
    signal input side[M];
    signal input cost[M];
    signal input newSalt;
    signal input select[M];
    signal input increase;
    signal input openSide;
    signal input tradeSize;
    signal input costRemoved;

    // Check (1): old position fields in range
    component positionRange = PositionRange(M);
    positionRange.size <== size;
    positionRange.side <== side;
    positionRange.cost <== cost;

    // Check (2): the old position opens oldCommitment
    component oldOpening = PositionCommitment(M);
    oldOpening.salt <== oldSalt;
    oldOpening.size <== size;
    oldOpening.side <== side;
    oldOpening.cost <== cost;
    oldOpening.commitment === oldCommitment;

    // Check (3): value, prices and ratios in range
    component marketRange = MarketRange(M);
    marketRange.value <== value;
    marketRange.price <== price;
    component ratioRange = RatioRange(M);
    ratioRange.ratio <== ratio;

    // Check (4): trade shape: select is one-hot or all zero, flags are bits, sizes in range,
    // and no selected market means no trade
    signal pickSize[M];
    signal pickSide[M];
    signal pickCost[M];
    signal pickPrice[M];
    var anySelected = 0;
    var pickedSize = 0;
    var pickedSide = 0;
    var pickedCost = 0;
    var pickedPrice = 0;
    for (var j = 0; j < M; j++) {
        select[j] * (select[j] - 1) === 0;
        pickSize[j] <== select[j] * size[j];
        pickSide[j] <== select[j] * side[j];
        pickCost[j] <== select[j] * cost[j];
        pickPrice[j] <== select[j] * price[j];
        anySelected += select[j];
        pickedSize += pickSize[j];
        pickedSide += pickSide[j];
        pickedCost += pickCost[j];
        pickedPrice += pickPrice[j];
    }
    signal traded <== anySelected;
    traded * (traded - 1) === 0;
    increase * (increase - 1) === 0;
    openSide * (openSide - 1) === 0;
    component tradeSizeRange = RangeCheck(SIZE_BITS());
    tradeSizeRange.in <== tradeSize;
    component costRemovedRange = RangeCheck(COST_BITS());
    costRemovedRange.in <== costRemoved;
    tradeSize * (1 - traded) === 0;

    // Check (5): the trade executes at the public price of the selected market
    signal tradedSize <== pickedSize;
    signal tradedSide <== pickedSide;
    signal tradedCost <== pickedCost;
    signal tradedPrice <== pickedPrice;
    signal tradeNotional <== tradeSize * tradedPrice;

    // Check (6): a reduce removes floor(cost * tradeSize / size) of the cost basis:
    // costRemoved * size <= cost * tradeSize < costRemoved * size + size (products < 2^252 < p);
    // any other update removes nothing
    signal reducing <== traded * (1 - increase);
    costRemoved * (1 - reducing) === 0;
    signal costShare <== tradedCost * tradeSize;
    signal reducedShare <== reducing * costShare;
    signal removedShare <== costRemoved * tradedSize;
    component rounding = SafeLessThan(SIZE_BITS() + 1);
    rounding.in[0] <== reducedShare - removedShare;
    rounding.in[1] <== tradedSize + 1 - reducing;
    rounding.out === 1;

    // Check (7): the traded market's new size and cost are in range (a reduce larger than the
    // position, or a cost basis below zero, wraps around the field and fails here)
    signal increasedBy <== increase * tradeSize;
    signal newTradedSize <== tradedSize - tradeSize + 2 * increasedBy;
    signal addedCost <== increase * tradeNotional;
    signal newTradedCost <== tradedCost + addedCost - costRemoved;
    component newSizeRange = RangeCheck(SIZE_BITS());
    newSizeRange.in <== newTradedSize;
    component newCostRange = RangeCheck(COST_BITS());
    newCostRange.in <== newTradedCost;
    // a position opened from size 0 takes openSide; otherwise the side is kept
    component wasEmpty = IsZero();
    wasEmpty.in <== tradedSize;
    signal opening <== increase * wasEmpty.out;
    signal sideChange <== opening * (openSide - tradedSide);
    signal newTradedSide <== tradedSide + sideChange;

    // Check (8): realised PnL (long: dq P - Kr, short: Kr - dq P) equals the public pnl
    signal longGain <== reducing * (tradeNotional - costRemoved);
    signal shortFlip <== tradedSide * longGain;
    pnl === longGain - 2 * shortFlip;

    // Check (9): the new state (only the selected market changes) opens newCommitment
    signal newSize[M];
    signal newSide[M];
    signal newCost[M];
    for (var j = 0; j < M; j++) {
        newSize[j] <== size[j] + select[j] * (newTradedSize - tradedSize);
        newSide[j] <== side[j] + select[j] * (newTradedSide - tradedSide);
        newCost[j] <== cost[j] + select[j] * (newTradedCost - tradedCost);
    }
    component newOpening = PositionCommitment(M);
    newOpening.salt <== newSalt;
    newOpening.size <== newSize;
    newOpening.side <== newSide;
    newOpening.cost <== newCost;
    newOpening.commitment === newCommitment;

    // Check (10): the new state meets initial margin at current prices with the post-update value
    component margin = MarginCheck(M);
    margin.value <== value;
    margin.size <== newSize;
    margin.side <== newSide;
    margin.cost <== newCost;
    margin.price <== price;
    margin.ratio <== ratio;

    // Check (11): the context is bound to the proof (a public input no other constraint uses)
    signal contextSquared;
    contextSquared <== context * context;
}
