pragma circom 2.1.6;

// Bit widths and protocol constants shared by every zkmargin v2 statement (docs/protocol-v2.md, section 1).
// The TypeScript reference model mirrors these in prover/model/constants.ts, and
// test/circuits/bounds.test.ts shows the largest reachable margin sum stays far below p.

// Oracle prices: Chainlink answers normalised to 8 decimals.
function PRICE_BITS() { return 64; }
// Position sizes in base units (10 decimals).
function SIZE_BITS() { return 96; }
// Entry cost basis K = sum of size x price at entry. Capped at 2^(252 - SIZE_BITS) so that the reduce
// rounding check's products cost x size stay below 2^252 < p (a notional cap of ~9e28 quote units).
function COST_BITS() { return 156; }
// Collateral value V, fees, claims and penalties, in value units (1e-18 of the quote currency).
function VALUE_BITS() { return 120; }
// Signed cash c and settlement s: |x| < 2^127, written x + 2^CASH_OFFSET_BITS in CASH_BITS bits.
function CASH_OFFSET_BITS() { return 127; }
function CASH_BITS() { return 128; }
// Margin ratios and the box half-width d, in basis points (the contract keeps them <= 10000).
function RATIO_BITS() { return 14; }
// minValue of the dust rule, in units of MIN_VALUE_UNIT value units.
function MIN_VALUE_BITS() { return 40; }
function MIN_VALUE_UNIT() { return 1000000000000; }
// Both sides of BoxMargin are < 2^193 for every M <= 14 (test/circuits/bounds.test.ts); 194 bits leaves a
// bit of room. BoundedLessEq(MARGIN_BITS) needs exactly this bound to be sound.
function MARGIN_BITS() { return 194; }
// A packed public word: 252 bits, so its decomposition is unique (2^252 < p).
function WORD_BITS() { return 252; }
// One in basis points.
function BPS() { return 10000; }
// Domain tag of the v2 state commitment: ASCII "zkmargin.pos.v2".
function STATE_TAG() { return 0x7a6b6d617267696e2e706f732e7632; }
// Largest market count supported by the commitment hash (3 + 2M <= 31).
function MAX_MARKETS() { return 14; }
