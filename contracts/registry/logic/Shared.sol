// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IZkMarginRegistry} from "../../interfaces/IZkMarginRegistry.sol";
import {Types} from "../Types.sol";

/// @title Shared
/// @notice Internal helpers of the logic libraries: collateral value, loss coverage from any asset, the
///         challenge rule, ratio bounds, packing and bond payments.
library Shared {
    using SafeERC20 for IERC20;

    /// @notice Widest box a certificate may prove (basis points).
    uint256 internal constant MAX_BOX_BPS = 5_000;
    /// @notice Prices have 8 decimals and values 18: value = amount x price x 1e10 / 10^decimals.
    uint256 internal constant PRICE_TO_VALUE = 1e10;

    // ------------------------------------------------------------------ packing

    function packMarkets(uint64[4] memory p) internal pure returns (uint256) {
        return uint256(p[0]) | (uint256(p[1]) << 64) | (uint256(p[2]) << 128) | (uint256(p[3]) << 192);
    }

    function packAssets(uint64[] memory p) internal pure returns (uint256 w) {
        for (uint256 i = 0; i < p.length; i++) w |= uint256(p[i]) << (64 * i);
    }

    function at64(uint256 w, uint256 i) internal pure returns (uint256) {
        return uint64(w >> (64 * i));
    }

    function at16(uint64 w, uint256 i) internal pure returns (uint256) {
        return uint16(w >> (16 * i));
    }

    /// @notice Maintenance ratios (bits 16j) out of the risk engine's packed word (mm low, im high).
    function mmOf(uint256 packedRatios) internal pure returns (uint64) {
        return uint64(packedRatios);
    }

    function imOf(uint256 packedRatios) internal pure returns (uint64) {
        return uint64(packedRatios >> 64);
    }

    // ------------------------------------------------------------------ collateral value

    /// @notice V = sum_i balance_i x price_i x haircut_i, value units, rounded down per asset.
    function value(
        Types.Env memory env,
        uint256[4] storage bal,
        uint256 assetPrices,
        uint64 haircuts
    ) internal view returns (uint256 v) {
        for (uint256 i = 0; i < env.assetCount; i++) {
            uint256 b = bal[i];
            if (b != 0) v += assetValue(env, i, b, at64(assetPrices, i), at16(haircuts, i));
        }
    }

    function assetValue(
        Types.Env memory env,
        uint256 i,
        uint256 amount,
        uint256 price,
        uint256 haircutBps
    ) internal pure returns (uint256) {
        return Math.mulDiv(amount, price * haircutBps * PRICE_TO_VALUE, Types.BPS * 10 ** env.decimals[i]);
    }

    /// @notice Tokens of asset i worth `v` value units at `price` (no haircut).
    function tokensFor(
        Types.Env memory env,
        uint256 i,
        uint256 v,
        uint256 price,
        Math.Rounding rounding
    ) internal pure returns (uint256) {
        return Math.mulDiv(v, 10 ** env.decimals[i], price * PRICE_TO_VALUE, rounding);
    }

    /// @notice Debits `v` value units of an account's collateral at oracle prices (no haircut): the
    ///         settlement asset first, then the other assets in order. The settlement part goes to the fund;
    ///         the rest is auctioned for it (one auction per asset). Reverts when the collateral is short.
    function takeValue(
        Types.State storage s,
        Types.Env memory env,
        address account,
        uint256 v,
        uint256 assetPrices
    ) internal {
        if (v == 0) return;
        uint256[4] storage bal = s.collateral[account];
        uint256 p0 = at64(assetPrices, 0);
        uint256 need = tokensFor(env, 0, v, p0, Math.Rounding.Ceil);
        uint256 b0 = bal[0];
        if (b0 >= need) {
            bal[0] = b0 - need;
            IERC20(env.tokens[0]).safeTransfer(address(env.fund), need);
            return;
        }
        if (b0 > 0) {
            bal[0] = 0;
            IERC20(env.tokens[0]).safeTransfer(address(env.fund), b0);
            v -= Math.min(v, Math.mulDiv(b0, p0 * PRICE_TO_VALUE, 10 ** env.decimals[0]));
        }
        for (uint256 i = 1; i < env.assetCount && v > 0; i++) {
            v -= Math.min(v, _takeAsset(env, bal, account, i, v, at64(assetPrices, i)));
        }
        if (v > 0) revert IZkMarginRegistry.Registry__InsufficientCollateral(0, 0, v);
    }

    /// @notice Takes up to `v` value units of asset i (at `price`) for the fund's auctions; returns the
    ///         value taken.
    function _takeAsset(
        Types.Env memory env,
        uint256[4] storage bal,
        address account,
        uint256 i,
        uint256 v,
        uint256 price
    ) private returns (uint256) {
        uint256 b = bal[i];
        if (b == 0) return 0;
        uint256 take = Math.min(b, tokensFor(env, i, v, price, Math.Rounding.Ceil));
        bal[i] = b - take;
        IERC20(env.tokens[i]).safeTransfer(address(env.auction), take);
        env.auction.kick(i, take);
        emit IZkMarginRegistry.LossCovered(account, i, take);
        return Math.mulDiv(take, price * PRICE_TO_VALUE, 10 ** env.decimals[i]);
    }

    // ------------------------------------------------------------------ rules

    /// @notice d <= MAX_BOX_BPS and required_j <= pm_j <= 10000 for every market.
    function requireCert(uint256 d, uint64 pm, uint64 required) internal pure {
        if (d > MAX_BOX_BPS) revert IZkMarginRegistry.Registry__BoxTooWide(d, MAX_BOX_BPS);
        for (uint256 j = 0; j < Types.MARKETS; j++) {
            uint256 p = at16(pm, j);
            uint256 r = at16(required, j);
            if (p < r || p > Types.BPS) revert IZkMarginRegistry.Registry__RatioBelowRequired(j, p, r);
        }
    }

    /// @notice The v2 challenge rule (docs/protocol-v2.md section 5).
    function challengeable(
        Types.Cert calldata c,
        uint256 freshness,
        uint256 marketPrices,
        uint256 assetPrices,
        uint256 assetCount,
        uint64 mm,
        uint64 haircuts
    ) internal view returns (bool) {
        if (block.timestamp > uint256(c.provenAt) + freshness) return true;
        uint256 lo = Types.BPS - c.d;
        uint256 hi = Types.BPS + c.d;
        for (uint256 j = 0; j < Types.MARKETS; j++) {
            uint256 proven = at64(c.marketPrices, j);
            uint256 now_ = at64(marketPrices, j) * Types.BPS;
            if (now_ < proven * lo || now_ > proven * hi) return true;
            if (at16(mm, j) > at16(c.pm, j)) return true;
        }
        for (uint256 i = 0; i < assetCount; i++) {
            if (at64(assetPrices, i) * Types.BPS < at64(c.assetPrices, i) * lo) return true;
            if (at16(haircuts, i) < at16(c.haircuts, i)) return true;
        }
        return false;
    }

    /// @notice The deadline of a challenge, extended by time paused since and by the latest sequencer
    ///         outage after it was made.
    function deadline(Types.Env memory env, Types.ChallengeRecord calldata r) internal view returns (uint256 d) {
        d = uint256(r.deadline) + (env.pauseClock - r.pauseClockAt);
        if (block.timestamp > d) d += env.oracle.sequencerDowntimeSince(r.pinnedAt);
    }

    function recordOf(Types.State storage s, address account) internal view returns (Types.Account storage acc) {
        acc = s.accounts[account];
        if (acc.status != Types.Status.Active) revert IZkMarginRegistry.Registry__NotActive(account);
    }

    /// @notice Checks the open challenge's record against the stored hash.
    function requireRecord(Types.Account storage acc, address account, Types.ChallengeRecord calldata r) internal view {
        bytes32 h = acc.recordHash;
        if (h == 0) revert IZkMarginRegistry.Registry__NoOpenChallenge(account);
        if (h != keccak256(abi.encode(r))) revert IZkMarginRegistry.Registry__BadRecord(account);
    }

    function setCert(Types.Account storage acc, address account, Types.Cert memory c) internal {
        acc.certHash = keccak256(abi.encode(c));
        emit IZkMarginRegistry.Certified(account, acc.nonce, c);
    }

    /// @notice Pays wei with a bounded gas stipend; a recipient that refuses it is credited instead, so a
    ///         reverting owner or challenger cannot block respond or liquidate.
    function sendEth(Types.State storage s, address to, uint256 amount) internal {
        if (amount == 0) return;
        // slither-disable-next-line arbitrary-send-eth
        (bool ok, ) = to.call{value: amount, gas: 10_000}("");
        if (!ok) s.ethCredit[to] += amount;
    }
}
