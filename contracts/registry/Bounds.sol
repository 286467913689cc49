// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IZkMarginRegistry} from "../interfaces/IZkMarginRegistry.sol";
import {Types} from "./Types.sol";

/// @title Bounds
/// @notice Bounds that make every registry setting safe on its own (issue 12; the README's table and
///         scripts/lib/bounds.ts mirror them, and a test checks the two agree).
library Bounds {
    uint32 internal constant MIN_WINDOW = 2 minutes;
    uint32 internal constant MAX_WINDOW = 1 days;
    /// @notice freshness >= FRESHNESS_WINDOWS x response window: an answered account is not challenged again at once.
    uint32 internal constant FRESHNESS_WINDOWS = 4;
    uint32 internal constant MAX_FRESHNESS = 30 days;
    uint32 internal constant MIN_CLAIM_WINDOW = 1 days;
    uint32 internal constant MAX_CLAIM_WINDOW = 180 days;
    uint32 internal constant MAX_BOUNTY_RAMP = 1 days;
    uint32 internal constant MAX_STRETCH_BPS = 40_000;
    /// @notice Gas of one respond (measured 309k when a relayer submits it: two transfers; rounded up) and the
    ///         floor gas price the bond must cover.
    uint256 internal constant RESPOND_GAS = 350_000;
    uint256 internal constant FLOOR_GAS_PRICE = 1 gwei;
    uint256 internal constant MIN_BOND = RESPOND_GAS * FLOOR_GAS_PRICE;
    uint256 internal constant MAX_BOND = 100 ether;
    uint16 internal constant MAX_BOUNTY_BPS = 1_000;
    uint16 internal constant MAX_PENALTY_BPS = 2_000;
    uint16 internal constant MAX_RELAYER_SHARE_BPS = 5_000;
    uint256 internal constant MAX_BOUNTY_CAP = 1e24; // 1,000,000 quote units
    uint16 internal constant MIN_TARGET_FACTOR_BPS = 10_000;
    uint16 internal constant MAX_TARGET_FACTOR_BPS = 30_000;
    uint16 internal constant MAX_DELEVERAGE_FEE_BPS = 500;
    uint16 internal constant MAX_KEEPER_SHARE_BPS = 5_000;
    /// @notice Dust rule floor: at least 1 quote unit (in 1e12 value units).
    uint40 internal constant MIN_MIN_VALUE = 1e6;
    /// @notice Time a trader needs to exit after seeing a queued change, beyond the protocol's own periods.
    uint256 internal constant EXIT_MARGIN = 1 hours;

    function requireTiming(Types.Timing memory t) internal pure {
        if (t.responseWindow < MIN_WINDOW || t.responseWindow > MAX_WINDOW) _bad("responseWindow");
        if (t.freshness > MAX_FRESHNESS || t.freshness < uint256(t.responseWindow) * FRESHNESS_WINDOWS) {
            _bad("freshness");
        }
        if (t.exclusivePeriod >= t.responseWindow) _bad("exclusivePeriod");
        if (t.claimWindow < MIN_CLAIM_WINDOW || t.claimWindow > MAX_CLAIM_WINDOW) _bad("claimWindow");
        if (t.bountyRamp > MAX_BOUNTY_RAMP) _bad("bountyRamp");
        if (t.maxStretchBps < Types.BPS || t.maxStretchBps > MAX_STRETCH_BPS) _bad("maxStretchBps");
    }

    function requireIncentives(Types.Incentives memory i) internal pure {
        if (i.bond < MIN_BOND || i.bond > MAX_BOND) _bad("bond");
        if (i.penaltyBps > MAX_PENALTY_BPS) _bad("penaltyBps");
        if (i.bountyMaxBps > MAX_BOUNTY_BPS || i.bountyMaxBps > i.penaltyBps) _bad("bountyMaxBps");
        if (i.bountyMinBps > i.bountyMaxBps) _bad("bountyMinBps");
        if (i.bountyCap == 0 || i.bountyCap > MAX_BOUNTY_CAP) _bad("bountyCap");
        if (i.relayerShareBps > MAX_RELAYER_SHARE_BPS) _bad("relayerShareBps");
    }

    function requireDeleverage(Types.Deleverage memory d) internal pure {
        if (d.targetFactorBps < MIN_TARGET_FACTOR_BPS || d.targetFactorBps > MAX_TARGET_FACTOR_BPS) {
            _bad("targetFactorBps");
        }
        if (d.feeBps > MAX_DELEVERAGE_FEE_BPS) _bad("deleverageFeeBps");
        if (d.keeperShareBps > MAX_KEEPER_SHARE_BPS) _bad("keeperShareBps");
        if (d.minValue < MIN_MIN_VALUE) _bad("minValue");
    }

    function requireHaircuts(uint64 haircuts, uint256 assetCount) internal pure {
        for (uint256 i = 0; i < Types.MAX_ASSETS; i++) {
            uint256 h = uint16(haircuts >> (16 * i));
            if (i < assetCount ? (h == 0 || h > Types.BPS) : h != 0) _bad("haircuts");
        }
    }

    /// @notice freshness + the longest (fully stretched) window + the exclusive period + EXIT_MARGIN.
    function requiredDelay(Types.Timing memory t) internal pure returns (uint256) {
        return
            uint256(t.freshness) +
            (uint256(t.responseWindow) * t.maxStretchBps) / Types.BPS +
            t.exclusivePeriod +
            EXIT_MARGIN;
    }

    function _bad(string memory name) private pure {
        revert IZkMarginRegistry.Registry__BadParameter(name);
    }
}
