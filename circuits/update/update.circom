pragma circom 2.1.6;

include "circomlib/circuits/comparators.circom";
include "../lib/constants.circom";
include "../lib/comparators.circom";
include "../lib/margin.circom";
include "../lib/state.circom";
include "../lib/words.circom";

/*
 * Update(M): one private state transition (open / increase / reduce / close / withdraw / settle) at the
 * current oracle prices, which also proves a box certificate of the new state (docs/protocol-v2.md, 4).
 * Inputs (public):  commitment     C stored on chain
 *                   newCommitment  C' the contract stores if the proof verifies
 *                   context        keccak256(abi.encode(UPDATE, chainId, registry, account, nonce)) mod p
 *                   word[3]        w0 = V' (0..119) | s + 2^127 (120..247) | withdrawing (248)
 *                                  w1 = d (0..13) | minValue / 1e12 (14..53) | P_0 | P_1 | P_2
 *                                  w2 = P_3 | mm_0..mm_3 | im_0..im_3 | pm_0..pm_3
 * Inputs (private): salt, cash, size[M], side[M], cost[M]   the opening of C
 *                   newSalt        fresh salt of C' (never 0)
 *                   select[M]      one-hot market of the trade, all zero for no trade
 *                   increase       1 = open or increase, 0 = reduce or close
 *                   openSide       side of a position opened from size 0 (0 = long, 1 = short)
 *                   tradeSize      size traded (0 when no market is selected)
 *                   costRemoved    floor(K tradeSize / q) of the traded market when reducing, else 0
 * Outputs:          none
 * Parameters:       M, the number of markets (the word layout above is the one for M = 4)
 * Functionality:    the trade executes at the public price of its market; a reduce realises
 *                   r = dq P - Kr (long) or Kr - dq P (short) into cash, never public; the public settlement
 *                   s moves cash into collateral (s > 0 the fund pays the account, s < 0 the account pays):
 *                   c' = c + r - s with s and c' of the sign of c + r; C' meets the centre margin rule
 *                   (initial margin when the update increases a position or withdraws, maintenance
 *                   otherwise), BoxMargin(d, pm) with V', and the dust rule.
 * Notes:            NOTE: a trade cannot flip a position's side: close, then open the other side.
 *                   NOTE: the contract computes V' after the settlement and the withdrawal at current asset
 *                   prices and haircuts, sets withdrawing, checks pm_j >= mm_j and that every public
 *                   signal is below p.
 */
template Update(M) {
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
    signal input select[M];
    signal input increase;
    signal input openSide;
    signal input tradeSize;
    signal input costRemoved;

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

    // Check (3): the words decompose (V' 120 bits, s + 2^127 128, withdrawing 1, d 14, minValue 40,
    // P_j 64, mm_j, im_j, pm_j 14; unused bits 0)
    var F = 5 + 4 * M;
    var widths[F];
    widths[0] = VALUE_BITS();
    widths[1] = CASH_BITS();
    widths[2] = 1;
    widths[3] = RATIO_BITS();
    widths[4] = MIN_VALUE_BITS();
    for (var j = 0; j < M; j++) {
        widths[5 + j] = PRICE_BITS();
        widths[5 + M + j] = RATIO_BITS();
        widths[5 + 2 * M + j] = RATIO_BITS();
        widths[5 + 3 * M + j] = RATIO_BITS();
    }
    component words = PackedWords(3, F, widths);
    words.word <== word;
    signal value <== words.field[0];
    signal settle <== words.field[1] - (1 << CASH_OFFSET_BITS());
    signal withdrawing <== words.field[2];
    signal d <== words.field[3];
    signal minValue <== words.field[4] * MIN_VALUE_UNIT();
    signal price[M];
    signal mm[M];
    signal im[M];
    signal pm[M];
    for (var j = 0; j < M; j++) {
        price[j] <== words.field[5 + j];
        mm[j] <== words.field[5 + M + j];
        im[j] <== words.field[5 + 2 * M + j];
        pm[j] <== words.field[5 + 3 * M + j];
    }

    // Check (4): trade shape: select is one-hot or all zero, flags are bits, sizes in range, and no
    // selected market means no trade
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

    // Check (6): a reduce removes floor(K dq / q) of the cost basis:
    // costRemoved q <= K dq < costRemoved q + q (products < 2^252 < p); any other update removes nothing
    signal reducing <== traded * (1 - increase);
    costRemoved * (1 - reducing) === 0;
    signal costShare <== tradedCost * tradeSize;
    signal reducedShare <== reducing * costShare;
    signal removedShare <== costRemoved * tradedSize;
    component rounding = BoundedLessThan(SIZE_BITS());
    rounding.in[0] <== reducedShare - removedShare;
    rounding.in[1] <== tradedSize + 1 - reducing;

    // Check (7): the traded market's new size and cost are in range (a reduce larger than the position,
    // or a cost basis below zero, wraps around the field and fails here); a position opened from size 0
    // takes openSide, otherwise the side is kept
    signal increasedBy <== increase * tradeSize;
    signal newTradedSize <== tradedSize - tradeSize + 2 * increasedBy;
    signal addedCost <== increase * tradeNotional;
    signal newTradedCost <== tradedCost + addedCost - costRemoved;
    component newSizeRange = RangeCheck(SIZE_BITS());
    newSizeRange.in <== newTradedSize;
    component newCostRange = RangeCheck(COST_BITS());
    newCostRange.in <== newTradedCost;
    component wasEmpty = IsZero();
    wasEmpty.in <== tradedSize;
    signal opens <== increase * wasEmpty.out;
    signal sideChange <== opens * (openSide - tradedSide);
    signal newTradedSide <== tradedSide + sideChange;

    // Check (8): realised PnL r (long: dq P - Kr, short: Kr - dq P) goes into cash: t = c + r and
    // c' = t - s with s and c' of the sign of t (so |s| <= |t|: a settlement never pays more than the
    // realised cash, never flips it); |s|, |c'| < 2^127
    signal longGain <== reducing * (tradeNotional - costRemoved);
    signal shortFlip <== tradedSide * longGain;
    signal total <== cash + longGain - 2 * shortFlip;
    signal newCash <== total - settle;
    signal negative <-- total < 0 ? 1 : 0;
    negative * (negative - 1) === 0;
    signal settleMagnitude <== (1 - 2 * negative) * settle;
    signal cashMagnitude <== (1 - 2 * negative) * newCash;
    component settleRange = RangeCheck(CASH_OFFSET_BITS());
    settleRange.in <== settleMagnitude;
    component newCashRange = RangeCheck(CASH_OFFSET_BITS());
    newCashRange.in <== cashMagnitude;

    // Check (9): the new state (only the selected market changes) opens C', with salt != 0
    signal newSize[M];
    signal newSide[M];
    signal newCost[M];
    for (var j = 0; j < M; j++) {
        newSize[j] <== size[j] + select[j] * (newTradedSize - tradedSize);
        newSide[j] <== side[j] + select[j] * (newTradedSide - tradedSide);
        newCost[j] <== cost[j] + select[j] * (newTradedCost - tradedCost);
    }
    component newOpening = StateCommitment(M);
    newOpening.salt <== newSalt;
    newOpening.cash <== newCash;
    newOpening.size <== newSize;
    newOpening.side <== newSide;
    newOpening.cost <== newCost;
    newOpening.commitment === newCommitment;
    component newSaltRule = NonZeroSalt();
    newSaltRule.salt <== newSalt;

    // Check (10): margin rule at the centre prices with V': ratio im_j if the update increases a position
    // or withdraws, mm_j otherwise (a reduce, close or settle-only update needs maintenance only)
    signal increases <== traded * increase;
    signal strict <== increases + withdrawing - increases * withdrawing;
    signal ratio[M];
    for (var j = 0; j < M; j++) {
        ratio[j] <== mm[j] + strict * (im[j] - mm[j]);
    }
    component centre = BoxMargin(M);
    centre.value <== value;
    centre.cash <== newCash;
    centre.size <== newSize;
    centre.side <== newSide;
    centre.cost <== newCost;
    centre.price <== price;
    centre.ratio <== ratio;
    centre.d <== 0;

    // Check (11): BoxMargin(d, pm) on the new state with V' (the certificate the update also proves)
    component box = BoxMargin(M);
    box.value <== value;
    box.cash <== newCash;
    box.size <== newSize;
    box.side <== newSide;
    box.cost <== newCost;
    box.price <== price;
    box.ratio <== pm;
    box.d <== d;

    // Check (12): dust: a state with any size > 0 needs V' >= minValue
    var sizes = 0;
    for (var j = 0; j < M; j++) {
        sizes += newSize[j];
    }
    component flat = IsZero();
    flat.in <== sizes;
    signal need <== (1 - flat.out) * minValue;
    component dust = SafeLessEqThan(VALUE_BITS());
    dust.in[0] <== need;
    dust.in[1] <== value;
    dust.out === 1;

    // Check (13): the context is bound to the proof (a public input no other constraint uses)
    signal contextSquared <== context * context;
}
