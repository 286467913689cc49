pragma circom 2.1.6;

include "circomlib/circuits/bitify.circom";

/*
 * RangeCheck(n)
 * Inputs:        in
 * Outputs:       none
 * Parameters:    n, the bit width (n <= 252)
 * Functionality: constrains 0 <= in < 2^n as an integer (no field wrap-around).
 */
template RangeCheck(n) {
    assert(n <= 252);
    signal input in;
    component bits = Num2Bits(n);
    bits.in <== in;
}

/*
 * SafeLessEqThan(n)
 * Inputs:        in[2]
 * Outputs:       out = 1 if in[0] <= in[1], else 0
 * Parameters:    n, the bit width of both operands (n <= 251)
 * Functionality: both operands through Num2Bits(n); in[1] + 2^n - in[0] in n + 1 bits, whose top bit
 *                is 1 exactly when in[0] <= in[1].
 * Notes:         callers constrain `out === 1`.
 */
template SafeLessEqThan(n) {
    assert(n <= 251);
    signal input in[2];
    signal output out;

    component a = Num2Bits(n);
    a.in <== in[0];
    component b = Num2Bits(n);
    b.in <== in[1];

    component diff = Num2Bits(n + 1);
    diff.in <== in[1] + (1 << n) - in[0];
    out <== diff.out[n];
}

/*
 * BoundedLessThan(n)
 * Inputs:        in[2]
 * Outputs:       none
 * Parameters:    n, the bit width (n <= 252)
 * Functionality: constrains in[0] < in[1] for 1 <= in[1] <= 2^n: in[0] and the gap in[1] - 1 - in[0] both go
 *                through Num2Bits(n), so neither may wrap around the field (both are then in [0, 2^n) and
 *                sum to in[1] - 1 < p).
 * Notes:         NOTE: the caller guarantees 1 <= in[1] <= 2^n (a range-checked size plus a 0/1 flag); this
 *                is a strict comparison without the range check of an operand already known to be in
 *                range, and it is a constraint, not an output the prover could set.
 */
template BoundedLessThan(n) {
    assert(n <= 252);
    signal input in[2];

    component low = Num2Bits(n);
    low.in <== in[0];
    component gap = Num2Bits(n);
    gap.in <== in[1] - 1 - in[0];
}

/*
 * BoundedLessEq(n)
 * Inputs:        in[2]
 * Outputs:       none
 * Parameters:    n, the bit width (n <= 251)
 * Functionality: constrains in[0] <= in[1] for operands the caller has bounded to [0, 2^n) as integers:
 *                the gap in[1] - in[0] is decomposed into n bits. If in[0] <= in[1] the gap is in [0, 2^n);
 *                otherwise it wraps around the field to p - (in[0] - in[1]) > p - 2^n >= 2^n, which has no
 *                n-bit decomposition. n constraints, against 3n + 1 for SafeLessEqThan(n).
 * Notes:         NOTE: the caller guarantees 0 <= in[0], in[1] < 2^n (BoxMargin and EquityCovers from
 *                range-checked inputs; test/circuits/bounds.test.ts shows the bound for every M). The bits
 *                are written here, not through Num2Bits, so a refusal names this template.
 */
template BoundedLessEq(n) {
    assert(n <= 251);
    signal input in[2];

    signal gap <== in[1] - in[0];
    signal bits[n];
    var sum = 0;
    for (var i = 0; i < n; i++) {
        bits[i] <-- (gap >> i) & 1;
        bits[i] * (bits[i] - 1) === 0;
        sum += bits[i] * (1 << i);
    }
    sum === gap;
}
