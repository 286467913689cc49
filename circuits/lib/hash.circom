pragma circom 2.1.6;

include "circomlib/circuits/poseidon.circom";

/*
 * HashFields(n)
 * Inputs:        in[n]
 * Outputs:       out
 * Parameters:    n, 1 <= n <= 31
 * Functionality: Poseidon over n field elements. Up to 16 elements it is one circomlib Poseidon(n);
 *                above, Poseidon(16) over the first 16, then Poseidon over that digest and the rest.
 * Notes:         mirrored by hashFields() in prover/model/hash.ts.
 */
template HashFields(n) {
    assert(n >= 1 && n <= 31);
    signal input in[n];
    signal output out;

    if (n <= 16) {
        component h = Poseidon(n);
        for (var i = 0; i < n; i++) {
            h.inputs[i] <== in[i];
        }
        out <== h.out;
    } else {
        component first = Poseidon(16);
        for (var i = 0; i < 16; i++) {
            first.inputs[i] <== in[i];
        }
        component second = Poseidon(n - 15);
        second.inputs[0] <== first.out;
        for (var i = 16; i < n; i++) {
            second.inputs[i - 15] <== in[i];
        }
        out <== second.out;
    }
}
