pragma circom 2.1.6;

// Bit widths and protocol constants shared by every zkmargin statement.
// The TypeScript reference model mirrors these in prover/model/constants.ts, and
// test/circuits/bounds.test.ts shows the largest reachable margin sum stays far below p.

// Oracle prices: Chainlink answers normalised to 8 decimals.
function PRICE_BITS() { return 64; }
// Position sizes in base units.
function SIZE_BITS() { return 96; }
// Entry cost basis K = sum of size x price at entry. Capped at 2^(252 - SIZE_BITS) so that the reduce
// rounding check's products cost x size stay below 2^252 < p (a notional cap of ~9e28 quote units).
function COST_BITS() { return 156; }
// Collateral value V, computed on chain in value units (1e-18 of the quote currency).
function VALUE_BITS() { return 128; }
// Margin ratios in basis points (the contract keeps them <= 10000).
function RATIO_BITS() { return 14; }
// Both sides of the margin inequality are < 2^180 for M <= 14 (size x price < 2^160); 200 bits leaves room.
function MARGIN_BITS() { return 200; }
// One in basis points.
function BPS() { return 10000; }
// Domain tag of the position commitment: ASCII "zkmargin.pos.v1".
function POSITION_TAG() { return 0x7a6b6d617267696e2e706f732e7631; }
// Largest market count supported by the two-block commitment hash (2 + 2M <= 31).
function MAX_MARKETS() { return 14; }
