pragma circom 2.1.6;

include "circomlib/circuits/bitify.circom";
include "./constants.circom";

/*
 * PackedWords(W, F, widths)
 * Inputs:        word[W]      public words built by the contract
 * Outputs:       field[F]     the fields, in order
 * Parameters:    W words, F fields, widths[F] the bit width of each field
 * Functionality: the packing rule of docs/protocol-v2.md section 4: fields in order, greedily, least
 *                significant bits first; a field that does not fit in the rest of a word starts the next
 *                word (no field straddles two words). Each word goes through Num2Bits(WORD_BITS) (unique,
 *                since 2^252 < p), so every field is range-checked to its width; every unused high bit of
 *                a word is constrained to 0.
 * Notes:         the same rule is prover/model/packing.ts's greedy packer; the layout must use exactly
 *                W words (a compile-time assert).
 */
template PackedWords(W, F, widths) {
    signal input word[W];
    signal output field[F];

    component bits[W];
    for (var w = 0; w < W; w++) {
        bits[w] = Num2Bits(WORD_BITS());
        bits[w].in <== word[w];
    }

    var used[W];
    for (var w = 0; w < W; w++) {
        used[w] = 0;
    }
    var w = 0;
    for (var i = 0; i < F; i++) {
        assert(widths[i] >= 1 && widths[i] <= WORD_BITS());
        if (used[w] + widths[i] > WORD_BITS()) {
            w++;
        }
        assert(w < W);
        var acc = 0;
        for (var b = 0; b < widths[i]; b++) {
            acc += bits[w].out[used[w] + b] * (1 << b);
        }
        field[i] <== acc;
        used[w] += widths[i];
    }
    assert(w == W - 1);

    // unused high bits are 0
    for (var v = 0; v < W; v++) {
        for (var b = used[v]; b < WORD_BITS(); b++) {
            bits[v].out[b] === 0;
        }
    }
}
