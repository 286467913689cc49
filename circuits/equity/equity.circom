pragma circom 2.1.6;

include "../lib/constants.circom";
include "../lib/margin.circom";
include "../lib/state.circom";
include "../lib/words.circom";

/*
 * Equity(M): the claim after a liquidation, at the liquidation's own prices (docs/protocol-v2.md, 4).
 * Inputs (public):  commitment   the commitment C the account had when it was liquidated
 *                   context      keccak256(abi.encode(CLAIM, chainId, registry, account, nonce)) mod p with
 *                                the liquidation nonce
 *                   word[3]      w0 = V (0..119) | claimed (120..239)
 *                                w1 = penalty (0..119) | P_0 (120..183) | P_1 (184..247)
 *                                w2 = P_2 (0..63) | P_3 (64..127)
 * Inputs (private): salt, cash, size[M], side[M], cost[M]   the opening of C
 * Outputs:          none
 * Parameters:       M, the number of markets (the word layout above is the one for M = 4)
 * Functionality:    E = V + c + sum_long (q P - K) + sum_short (K - q P) >= claimed + penalty at the
 *                   liquidation's prices. The owner may claim any amount up to E - penalty, so the claim
 *                   need not publish E.
 * Notes:            NOTE: the contract rebuilds the words from the liquidation record (V and the prices read
 *                   at liquidation, penalty = penaltyBps V / BPS) and the calldata's claimed, and checks
 *                   every public signal is below p.
 */
template Equity(M) {
    signal input commitment;
    signal input context;
    signal input word[3];

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

    // Check (3): the words decompose (V, claimed, penalty 120 bits each, P_j 64; unused bits 0)
    var F = 3 + M;
    var widths[F];
    widths[0] = VALUE_BITS();
    widths[1] = VALUE_BITS();
    widths[2] = VALUE_BITS();
    for (var j = 0; j < M; j++) {
        widths[3 + j] = PRICE_BITS();
    }
    component words = PackedWords(3, F, widths);
    words.word <== word;
    signal value <== words.field[0];
    signal claimed <== words.field[1];
    signal penalty <== words.field[2];
    signal price[M];
    for (var j = 0; j < M; j++) {
        price[j] <== words.field[3 + j];
    }

    // Check (4): E >= claimed + penalty at the liquidation's prices (with c)
    component covers = EquityCovers(M);
    covers.value <== value;
    covers.cash <== cash;
    covers.size <== size;
    covers.side <== side;
    covers.cost <== cost;
    covers.price <== price;
    covers.amount <== claimed + penalty;

    // Check (5): the context is bound to the proof (a public input no other constraint uses)
    signal contextSquared <== context * context;
}
