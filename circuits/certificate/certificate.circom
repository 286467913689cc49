pragma circom 2.1.6;

include "../lib/constants.circom";
include "../lib/margin.circom";
include "../lib/state.circom";
include "../lib/words.circom";

/*
 * Certificate(M): box certificate, used by prove and respond (docs/protocol-v2.md, section 4).
 * Inputs (public):  commitment   C stored on chain
 *                   context      keccak256(abi.encode(domain, chainId, registry, account, nonce)) mod p with
 *                                domain PROVE (account nonce) or RESPOND (challenge nonce)
 *                   word[2]      w0 = V (0..119) | d (120..133) | P_0 (134..197)
 *                                w1 = P_1 | P_2 | P_3 (64 bits each) | pm_0..pm_{M-1} (14 bits each)
 * Inputs (private): salt, cash, size[M], side[M], cost[M]   the opening of C
 * Outputs:          none
 * Parameters:       M, the number of markets (the word layout above is the one for M = 4)
 * Functionality:    BoxMargin(d, pm): equity >= sum_j pm_j / BPS x corner notional at every corner of the
 *                   box [P_j (1 - d), P_j (1 + d)], with the collateral valued at V (1 - d).
 * Notes:            NOTE: the contract builds the words from its storage: V at the certificate's asset
 *                   prices (current for prove, pinned for respond), pm_j >= mm_j (current for prove,
 *                   pinned for respond), d <= MAX_BOX_BPS, and checks every public signal < p.
 *                   NOTE: the salt rule lets the empty state (salt 0) prove anything it can: it is solvent
 *                   at any price.
 */
template Certificate(M) {
    signal input commitment;
    signal input context;
    signal input word[2];

    signal input salt;
    signal input cash;
    signal input size[M];
    signal input side[M];
    signal input cost[M];

    // Check (1): ranges of the state (|c| <= 2^127, q < 2^96, side in {0, 1}, K < 2^156)
    component range = StateRange(M);
    range.cash <== cash;
    range.size <== size;
    range.side <== side;
    range.cost <== cost;

    // Check (2): the state opens C, and salt 0 is only the empty state
    component opening = StateCommitment(M);
    opening.salt <== salt;
    opening.cash <== cash;
    opening.size <== size;
    opening.side <== side;
    opening.cost <== cost;
    opening.commitment === commitment;
    component saltRule = SaltRule(M);
    saltRule.salt <== salt;
    saltRule.cash <== cash;
    saltRule.size <== size;
    saltRule.side <== side;
    saltRule.cost <== cost;

    // Check (3): the words decompose (V 120 bits, d 14, P_j 64, pm_j 14; unused bits 0)
    var F = 2 + 2 * M;
    var widths[F];
    widths[0] = VALUE_BITS();
    widths[1] = RATIO_BITS();
    for (var j = 0; j < M; j++) {
        widths[2 + j] = PRICE_BITS();
        widths[2 + M + j] = RATIO_BITS();
    }
    component words = PackedWords(2, F, widths);
    words.word <== word;
    signal value <== words.field[0];
    signal d <== words.field[1];
    signal price[M];
    signal pm[M];
    for (var j = 0; j < M; j++) {
        price[j] <== words.field[2 + j];
        pm[j] <== words.field[2 + M + j];
    }

    // Check (4): BoxMargin(d, pm)
    component box = BoxMargin(M);
    box.value <== value;
    box.cash <== cash;
    box.size <== size;
    box.side <== side;
    box.cost <== cost;
    box.price <== price;
    box.ratio <== pm;
    box.d <== d;

    // Check (5): the context is bound to the proof (a public input no other constraint uses)
    signal contextSquared <== context * context;
}
