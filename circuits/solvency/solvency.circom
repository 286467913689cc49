pragma circom 2.1.6;

include "../lib/constants.circom";
include "../lib/hash.circom";
include "../lib/margin.circom";
include "../lib/position.circom";

/*
 * Solvency(M): statement 1, maintenance margin.
 * Inputs (public):  commitment     position commitment C stored on chain
 *                   value          collateral value V, computed on chain (value units, 1e-18 quote)
 *                   snapshotHash   Poseidon(context, Poseidon(price[0..M)), Poseidon(ratio[0..M))),
 *                                  pinned by the contract when the challenge is made (or in prove())
 * Inputs (private): salt, size[M], side[M], cost[M]   the opening of C
 *                   context, price[M], ratio[M]       the preimage of snapshotHash
 * Outputs:          none
 * Parameters:       M, the number of markets
 * Functionality:    proves that the committed position is at or above maintenance margin at the pinned
 *                   prices: V + unrealised PnL >= sum_j ratio_j / 10000 * size_j * price_j.
 * Notes:            NOTE: the contract computes snapshotHash from its own storage: context = keccak(chainId,
 *                   registry, account, challenge id) mod p, the oracle prices it pinned, and its
 *                   maintenance ratios. Hashing them into one public input is what keeps respond()
 *                   cheap: each Groth16 public input costs about 6.6k gas to verify, and the challenger
 *                   pays for the hash when pinning the snapshot. The two-level shape lets the contract
 *                   use poseidon-solidity (at most 5 inputs per hash) and store the ratios' hash when
 *                   governance sets them.
 *                   NOTE: the verifier checks every public signal is below p.
 */
template Solvency(M) {
    signal input commitment;
    signal input value;
    signal input snapshotHash;

    signal input salt;
    signal input size[M];
    signal input side[M];
    signal input cost[M];
    signal input context;
    signal input price[M];
    signal input ratio[M];

    // Check (1): position fields in range (size < 2^96, side in {0,1}, cost < 2^160)
    component positionRange = PositionRange(M);
    positionRange.size <== size;
    positionRange.side <== side;
    positionRange.cost <== cost;

    // Check (2): the private position opens the public commitment
    component opening = PositionCommitment(M);
    opening.salt <== salt;
    opening.size <== size;
    opening.side <== side;
    opening.cost <== cost;
    opening.commitment === commitment;

    // Check (3): value, prices and ratios in range (V < 2^128, price < 2^64, ratio < 2^14)
    component marketRange = MarketRange(M);
    marketRange.value <== value;
    marketRange.price <== price;
    component ratioRange = RatioRange(M);
    ratioRange.ratio <== ratio;

    // Check (4): context, prices and ratios are the ones the contract pinned
    component pricesHash = HashFields(M);
    pricesHash.in <== price;
    component ratiosHash = HashFields(M);
    ratiosHash.in <== ratio;
    component snapshot = Poseidon(3);
    snapshot.inputs[0] <== context;
    snapshot.inputs[1] <== pricesHash.out;
    snapshot.inputs[2] <== ratiosHash.out;
    snapshot.out === snapshotHash;

    // Check (5): equity >= maintenance requirement
    component margin = MarginCheck(M);
    margin.value <== value;
    margin.size <== size;
    margin.side <== side;
    margin.cost <== cost;
    margin.price <== price;
    margin.ratio <== ratio;
}
