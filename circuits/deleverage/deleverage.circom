pragma circom 2.1.6;

include "circomlib/circuits/comparators.circom";
include "../lib/constants.circom";
include "../lib/comparators.circom";
include "../lib/margin.circom";
include "../lib/state.circom";
include "../lib/words.circom";

/*
 * Deleverage(M): private partial liquidation while challenged (docs/protocol-v2.md, section 4).
 * Inputs (public):  commitment     C stored on chain
 *                   newCommitment  C' the contract stores if the proof verifies
 *                   context        keccak256(abi.encode(DELEVERAGE, chainId, registry, account, nonce)) mod p
 *                                  with the challenge nonce
 *                   word[3]        w0 = V' (0..119) | fee (120..239)
 *                                  w1 = feeBps (0..13) | d (14..27) | P_0 | P_1 | P_2
 *                                  w2 = P_3 | pm_0..pm_3
 * Inputs (private): salt, cash, size[M], side[M], cost[M]   the opening of C
 *                   newSalt           fresh salt of C' (never 0)
 *                   reduce[M]         dq_j, the size removed from market j (0 for no change)
 *                   costRemoved[M]    floor(K_j dq_j / q_j) (0 for a market with q_j = 0)
 * Outputs:          none
 * Parameters:       M, the number of markets (the word layout above is the one for M = 4)
 * Functionality:    C -> C' by reductions 0 <= dq_j <= q_j of any markets at the current prices (side kept,
 *                   cost removed floor(K dq / q)), every reduction's realised PnL into cash, a public
 *                   fee = floor(feeBps sum_j dq_j P_j / BPS), and BoxMargin(d, pm) of C' with V'.
 * Notes:            NOTE: the contract computes V' after debiting the fee (current asset prices and
 *                   haircuts), pins feeBps in the challenge, checks pm_j >= ceil(mm_j targetFactor / BPS)
 *                   with the pinned mm, and that every public signal is below p. Since the centre is inside
 *                   the box, C' meets the target margin at the current prices.
 */
template Deleverage(M) {
    signal input commitment;
    signal input newCommitment;
    signal input context;
    signal input word[3];

    signal input salt;
    signal input cash;
    signal input size[M];
    signal input side[M];
    signal input cost[M];
    signal input newSalt;
    signal input reduce[M];
    signal input costRemoved[M];

    // Check (1): ranges of the old sizes and sides (q < 2^96, side in {0, 1}), so that each packed field
    // q_j + s_j 2^96 of C decomposes uniquely. NOTE: the old cash and cost are not range-checked here: the
    // registry stores only the empty state and the C' of verified Update and Deleverage proofs, and both
    // range-check every state they create (|c| <= 2^127, K < 2^156), so by the binding of Poseidon the
    // opening of C has those ranges (docs/protocol-v2.md section 4, "Ranges by induction")
    component sizeRange[M];
    for (var j = 0; j < M; j++) {
        sizeRange[j] = RangeCheck(SIZE_BITS());
        sizeRange[j].in <== size[j];
        side[j] * (side[j] - 1) === 0;
    }

    // Check (2): the old state opens C (its salt rule holds by the same induction: the empty state has
    // salt 0, every created state has salt != 0)
    component opening = StateCommitment(M);
    opening.salt <== salt;
    opening.cash <== cash;
    opening.size <== size;
    opening.side <== side;
    opening.cost <== cost;
    opening.commitment === commitment;

    // Check (3): the words decompose (V' 120 bits, fee 120, feeBps 14, d 14, P_j 64, pm_j 14; unused 0)
    var F = 4 + 2 * M;
    var widths[F];
    widths[0] = VALUE_BITS();
    widths[1] = VALUE_BITS();
    widths[2] = RATIO_BITS();
    widths[3] = RATIO_BITS();
    for (var j = 0; j < M; j++) {
        widths[4 + j] = PRICE_BITS();
        widths[4 + M + j] = RATIO_BITS();
    }
    component words = PackedWords(3, F, widths);
    words.word <== word;
    signal value <== words.field[0];
    signal fee <== words.field[1];
    signal feeBps <== words.field[2];
    signal d <== words.field[3];
    signal price[M];
    signal pm[M];
    for (var j = 0; j < M; j++) {
        price[j] <== words.field[4 + j];
        pm[j] <== words.field[4 + M + j];
    }

    // Check (4): per market a reduction 0 <= dq_j <= q_j, side kept, cost removed floor(K_j dq_j / q_j):
    // costRemoved_j q_j <= K_j dq_j < costRemoved_j q_j + q_j (costRemoved_j < 2^156, so both products are
    // below 2^252 and the rounding is exact; then costRemoved_j <= K_j, so the new cost needs no range
    // check). q'_j = q_j - dq_j in [0, 2^96) gives dq_j <= q_j and |dq_j| < 2^96. dq_j >= 0 follows from
    // the rounding: for dq_j = -k < 0 and K_j >= 1, K_j dq_j is p - K_j k > p - 2^252, which no
    // costRemoved_j q_j + r (below 2^252 + 2^96) reaches; so a market with q_j > 0 must have K_j != 0
    // (every state the protocol creates has K_j >= q_j there: prices are >= 1). A market with q_j = 0
    // reduces and removes nothing: dq_j + 2^96 costRemoved_j = 0 (an integer in (-2^96, 2^252 + 2^96),
    // so both are 0).
    component newSizeRange[M];
    component removedRange[M];
    component empty[M];
    component rounding[M];
    signal newSize[M];
    signal newCost[M];
    signal costInverse[M];
    signal share[M];
    signal removedShare[M];
    for (var j = 0; j < M; j++) {
        newSize[j] <== size[j] - reduce[j];
        newSizeRange[j] = RangeCheck(SIZE_BITS());
        newSizeRange[j].in <== newSize[j];
        removedRange[j] = RangeCheck(COST_BITS());
        removedRange[j].in <== costRemoved[j];
        newCost[j] <== cost[j] - costRemoved[j];
        empty[j] = IsZero();
        empty[j].in <== size[j];
        empty[j].out * (reduce[j] + costRemoved[j] * (1 << SIZE_BITS())) === 0;
        costInverse[j] <-- (cost[j] != 0 && size[j] != 0) ? 1 / cost[j] : 0;
        cost[j] * costInverse[j] === 1 - empty[j].out;
        share[j] <== cost[j] * reduce[j];
        removedShare[j] <== costRemoved[j] * size[j];
        rounding[j] = BoundedLessThan(SIZE_BITS());
        rounding[j].in[0] <== share[j] - removedShare[j];
        rounding[j].in[1] <== size[j] + empty[j].out;
    }

    // Check (5): the realised PnL of every reduction (long: dq P - Kr, short: Kr - dq P) goes into cash,
    // |c'| <= 2^127
    signal reducedNotional[M];
    signal gain[M];
    signal shortFlip[M];
    var realised = 0;
    var notional = 0;
    for (var j = 0; j < M; j++) {
        reducedNotional[j] <== reduce[j] * price[j];
        gain[j] <== reducedNotional[j] - costRemoved[j];
        shortFlip[j] <== side[j] * gain[j];
        realised += gain[j] - 2 * shortFlip[j];
        notional += reducedNotional[j];
    }
    signal newCash <== cash + realised;
    component newCashRange = RangeCheck(CASH_BITS());
    newCashRange.in <== newCash + (1 << CASH_OFFSET_BITS());

    // Check (6): fee = floor(feeBps sum_j dq_j P_j / BPS): 0 <= feeBps X - BPS fee <= BPS - 1
    signal feeRemainder <== feeBps * notional - BPS() * fee;
    component feeLow = RangeCheck(RATIO_BITS());
    feeLow.in <== feeRemainder;
    component feeHigh = RangeCheck(RATIO_BITS());
    feeHigh.in <== BPS() - 1 - feeRemainder;

    // Check (7): the new state opens C' (sides kept), with salt != 0
    component newOpening = StateCommitment(M);
    newOpening.salt <== newSalt;
    newOpening.cash <== newCash;
    newOpening.size <== newSize;
    newOpening.side <== side;
    newOpening.cost <== newCost;
    newOpening.commitment === newCommitment;
    component newSaltRule = NonZeroSalt();
    newSaltRule.salt <== newSalt;

    // Check (8): BoxMargin(d, pm) on the new state with V'
    component box = BoxMargin(M);
    box.value <== value;
    box.cash <== newCash;
    box.size <== newSize;
    box.side <== side;
    box.cost <== newCost;
    box.price <== price;
    box.ratio <== pm;
    box.d <== d;

    // Check (9): the context is bound to the proof (a public input no other constraint uses)
    signal contextSquared <== context * context;
}
