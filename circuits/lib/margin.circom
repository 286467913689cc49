pragma circom 2.1.6;

include "./constants.circom";
include "./comparators.circom";

/*
 * MarketRange(M)
 * Inputs:        value, price[M]
 * Parameters:    M, the number of markets
 * Functionality: value < 2^VALUE_BITS and price_j < 2^PRICE_BITS.
 * Notes:         the contract also bounds them; checking again here keeps every product below p.
 */
template MarketRange(M) {
    signal input value;
    signal input price[M];

    component valueBits = RangeCheck(VALUE_BITS());
    valueBits.in <== value;
    component priceBits[M];
    for (var j = 0; j < M; j++) {
        priceBits[j] = RangeCheck(PRICE_BITS());
        priceBits[j].in <== price[j];
    }
}

/*
 * RatioRange(M)
 * Inputs:        ratio[M]
 * Parameters:    M, the number of markets
 * Functionality: ratio_j < 2^RATIO_BITS (basis points; the contract keeps them <= 10000).
 */
template RatioRange(M) {
    signal input ratio[M];

    component ratioBits[M];
    for (var j = 0; j < M; j++) {
        ratioBits[j] = RangeCheck(RATIO_BITS());
        ratioBits[j].in <== ratio[j];
    }
}

/*
 * EquitySides(M)
 * Inputs:        value, size[M], side[M], cost[M], price[M], ratio[M]
 * Outputs:       assets      = value + sum_long size * price + sum_short cost
 *                liabilities = sum_long cost + sum_short size * price
 *                requirement = sum_j ratio_j * size_j * price_j   (in basis points of value)
 * Parameters:    M, the number of markets
 * Functionality: equity = assets - liabilities (long PnL = q P - K, short PnL = K - q P), written so that
 *                both sides are sums of non-negative terms and nothing is ever divided.
 * Notes:         NOTE: inputs must be range-checked by the caller (PositionRange, MarketRange);
 *                then assets, liabilities < 2^(VALUE_BITS + 1) + M * 2^COST_BITS and
 *                requirement < M * 2^(RATIO_BITS + COST_BITS), all far below p.
 */
template EquitySides(M) {
    signal input value;
    signal input size[M];
    signal input side[M];
    signal input cost[M];
    signal input price[M];
    signal input ratio[M];
    signal output assets;
    signal output liabilities;
    signal output requirement;

    signal notional[M];
    signal flip[M];
    signal required[M];
    var a = value;
    var l = 0;
    var r = 0;
    for (var j = 0; j < M; j++) {
        notional[j] <== size[j] * price[j];
        // long (side 0): asset q P, liability K; short (side 1): asset K, liability q P
        flip[j] <== side[j] * (cost[j] - notional[j]);
        required[j] <== ratio[j] * notional[j];
        a += notional[j] + flip[j];
        l += cost[j] - flip[j];
        r += required[j];
    }
    assets <== a;
    liabilities <== l;
    requirement <== r;
}

/*
 * MarginCheck(M)
 * Inputs:        value, size[M], side[M], cost[M], price[M], ratio[M]
 * Parameters:    M, the number of markets
 * Functionality: BPS * assets >= BPS * liabilities + requirement, that is
 *                equity >= sum_j ratio_j / 10000 * size_j * price_j, compared with a range-checked
 *                comparator whose result is constrained to 1.
 * Notes:         NOTE: inputs must be range-checked by the caller (see EquitySides).
 */
template MarginCheck(M) {
    signal input value;
    signal input size[M];
    signal input side[M];
    signal input cost[M];
    signal input price[M];
    signal input ratio[M];

    component sides = EquitySides(M);
    sides.value <== value;
    sides.size <== size;
    sides.side <== side;
    sides.cost <== cost;
    sides.price <== price;
    sides.ratio <== ratio;

    component enough = SafeLessEqThan(MARGIN_BITS());
    enough.in[0] <== BPS() * sides.liabilities + sides.requirement;
    enough.in[1] <== BPS() * sides.assets;
    enough.out === 1;
}
