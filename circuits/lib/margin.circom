pragma circom 2.1.6;

include "./constants.circom";
include "./comparators.circom";

/*
 * BoxMargin(M): the one margin inequality of v2 (docs/protocol-v2.md, section 3).
 * Inputs:        value       collateral value V (value units)
 *                cash        signed cash c as a field element (negative c is p - |c|)
 *                size[M], side[M], cost[M]   the state's markets
 *                price[M]    centre prices P_j of the box
 *                d           box half-width, basis points
 *                ratio[M]    required ratios r_j, basis points
 * Outputs:       none
 * Parameters:    M, the number of markets
 * Functionality: equity >= requirement at every corner of the box [P_j (1 - d), P_j (1 + d)] with the
 *                collateral valued at V (1 - d). The worst corner is P (1 - d) for a long and P (1 + d)
 *                for a short, so with f_j = BPS - d + 2 d s_j and N_j = q_j P_j f_j:
 *                  BPS (V (BPS - d) + BPS (c + 2^127) + sum_long N_j + sum_short BPS K_j)
 *                    >= BPS (BPS 2^127 + sum_long BPS K_j + sum_short N_j) + sum_j r_j N_j
 *                compared with BoundedLessEq (both sides are non-negative and below 2^MARGIN_BITS). d = 0 is the plain margin
 *                check at the centre prices. d <= BPS (BPS - d is range-checked).
 * Notes:         NOTE: every input must be range-checked by the caller (StateRange, packed words: V < 2^120,
 *                c + 2^127 < 2^128, q < 2^96, K < 2^156, P < 2^64, d and r_j < 2^14); then both sides are
 *                below 2^195 for M <= 14 (test/circuits/bounds.test.ts).
 */
template BoxMargin(M) {
    signal input value;
    signal input cash;
    signal input size[M];
    signal input side[M];
    signal input cost[M];
    signal input price[M];
    signal input d;
    signal input ratio[M];

    // d <= BPS
    component dRange = RangeCheck(RATIO_BITS());
    dRange.in <== BPS() - d;

    signal notional[M];
    signal shortD[M];
    signal corner[M];
    signal flip[M];
    signal required[M];
    var assets = 0;
    var liabilities = 0;
    var requirement = 0;
    for (var j = 0; j < M; j++) {
        notional[j] <== size[j] * price[j];
        shortD[j] <== side[j] * d;
        // N_j = q_j P_j (BPS - d) for a long, q_j P_j (BPS + d) for a short
        corner[j] <== notional[j] * (BPS() - d + 2 * shortD[j]);
        // long: asset N_j, liability BPS K_j; short: asset BPS K_j, liability N_j (flip_j = 0 for a long)
        flip[j] <== side[j] * (BPS() * cost[j] - corner[j]);
        assets += corner[j] + flip[j];
        liabilities += BPS() * cost[j] - flip[j];
        required[j] <== ratio[j] * corner[j];
        requirement += required[j];
    }
    signal haircutValue <== value * (BPS() - d);
    assets += haircutValue + BPS() * (cash + (1 << CASH_OFFSET_BITS()));
    liabilities += BPS() * (1 << CASH_OFFSET_BITS());

    component enough = BoundedLessEq(MARGIN_BITS());
    enough.in[0] <== BPS() * liabilities + requirement;
    enough.in[1] <== BPS() * assets;
}

/*
 * EquityCovers(M)
 * Inputs:        value, cash, size[M], side[M], cost[M], price[M], amount
 * Outputs:       none
 * Parameters:    M, the number of markets
 * Functionality: E >= amount with E = V + c + sum_long (q P - K) + sum_short (K - q P), written with
 *                non-negative sides: V + (c + 2^127) + sum_long q P + sum_short K
 *                >= 2^127 + sum_long K + sum_short q P + amount (BoundedLessEq: both sides below 2^MARGIN_BITS).
 * Notes:         NOTE: inputs range-checked by the caller (as BoxMargin; amount < 2^121); both sides are
 *                below 2^165 for M <= 14.
 */
template EquityCovers(M) {
    signal input value;
    signal input cash;
    signal input size[M];
    signal input side[M];
    signal input cost[M];
    signal input price[M];
    signal input amount;

    signal notional[M];
    signal flip[M];
    var assets = value + cash + (1 << CASH_OFFSET_BITS());
    var liabilities = (1 << CASH_OFFSET_BITS()) + amount;
    for (var j = 0; j < M; j++) {
        notional[j] <== size[j] * price[j];
        // long: asset q P, liability K; short: asset K, liability q P
        flip[j] <== side[j] * (cost[j] - notional[j]);
        assets += notional[j] + flip[j];
        liabilities += cost[j] - flip[j];
    }
    component enough = BoundedLessEq(MARGIN_BITS());
    enough.in[0] <== liabilities;
    enough.in[1] <== assets;
}
