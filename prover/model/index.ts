/**
 * The bigint reference model of the v2 circuits (docs/protocol-v2.md): the oracle of the circuit tests
 * and the source of every witness. Its API:
 *
 * State and commitment (state.ts)
 *   AccountState { salt, cash, markets: { size, side, cost }[] }, Side, EMPTY_MARKET
 *   emptyState(markets = 4): AccountState              salt 0, cash 0, no positions
 *   commitment(state): bigint                           Poseidon(TAG_V2, salt, c, q_j + s_j 2^96, K_j ...)
 *   commitmentFields(state), requireValidState(state), isFlat(state), EMPTY_COMMITMENT
 * Contexts (context.ts)
 *   Domain { Update = 1, Prove, Respond, Deleverage, Claim }
 *   contextOf(domain, chainId, registry, account, nonce): bigint
 * Packed public words (packing.ts)
 *   greedyLayout(fields), packWords(layout, values), unpackWords(layout, words)
 *   updateFields/certificateFields/deleverageFields/equityFields(markets), *_LAYOUT (M = 4)
 *   packUpdate/unpackUpdate, packCertificate/unpackCertificate, packDeleverage/unpackDeleverage,
 *   packEquity/unpackEquity
 * Margin (margin.ts)
 *   equity(state, V, prices): bigint                    V + c + unrealised PnL
 *   boxMargin(state, V, prices, d, ratios): boolean     BoxMargin(d, r); d = 0 is the centre check
 *   boxSlack(...) (BPS^2 units), boxSides(...), boxShortfall(...) (value units to add)
 *   maxBoxBps(state, V, prices, pm): bigint | undefined largest d that still passes
 *   requirement(state, prices, ratios)
 * Trades (trade.ts)
 *   applyTrade(state, trade, prices, settle, newSalt): { next, realised, settleable, costRemoved }
 *   requireSettlement(settleable, settle), usesInitialMargin(trade, withdrawing),
 *   marginRatios(trade, withdrawing, mm, im)            IM when increasing or withdrawing, MM otherwise
 * Deleverage (deleverage.ts)
 *   applyDeleverage(state, dq[], prices, feeBps, newSalt): { next, fee, costRemoved, realised, notional }
 *   planDeleverage(state, V, { prices, pm, d, feeBps, valueAfterFee? }): plan | undefined
 * Liquidation (liquidation.ts)
 *   liquidationPrice(state, V, prices, mm, j), marginRatioBps(state, V, prices),
 *   claimable(state, V, prices, penalty), roundClaim(amount, digits = 2)
 * Circuit inputs (inputs.ts): inputs and public signals of each statement
 *   updateInputs(state, UpdateParams), certificateInputs(state, CertificateParams),
 *   deleverageInputs(state, DeleverageParams), equityInputs(state, EquityParams), openingInputs(state)
 */
export * from "./constants";
export * from "./context";
export * from "./deleverage";
export * from "./errors";
export * from "./field";
export * from "./hash";
export * from "./inputs";
export * from "./liquidation";
export * from "./margin";
export * from "./packing";
export * from "./state";
export * from "./trade";
