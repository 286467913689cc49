// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// `env` is the registry's immutables, built in memory by the registry and handed on to internal helpers
// that take it as memory: declaring it calldata would copy it into memory in every helper instead.
/* solhint-disable gas-calldata-parameters */

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IZkMarginRegistry} from "../../interfaces/IZkMarginRegistry.sol";
import {Proof} from "../../interfaces/IVerifiers.sol";
import {PublicInputs} from "../PublicInputs.sol";
import {Types} from "../Types.sol";
import {Shared} from "./Shared.sol";

/// @title LiquidationLogic
/// @notice Execution-priced liquidation (single and batch) and the owner's claim, run by the registry
///         through delegatecall on its own storage.
library LiquidationLogic {
    using SafeERC20 for IERC20;

    /// @notice Per-batch totals: what goes to the fund, to the auctions and to the liquidator.
    struct Totals {
        uint256 marketPrices;
        uint256 assetPrices;
        uint256[4] toFund; // asset 0 only
        uint256[4] toAuction;
        uint256[4] bounty;
    }

    /// @notice Liquidates every liquidatable account of `accounts` at the oracle's prices now (the
    ///         adapter refuses stale, incomplete or non-positive rounds and sequencer downtime or grace).
    ///         With `strict`, the first account that cannot be liquidated reverts with its reason.
    function liquidateBatch(
        Types.State storage s,
        Types.Env memory env,
        address[] calldata accounts,
        Types.ChallengeRecord[] calldata records,
        bool strict
    ) external returns (uint256 count) {
        if (accounts.length != records.length) revert IZkMarginRegistry.Registry__LengthMismatch();
        Totals memory t;
        t.marketPrices = Shared.packMarkets(env.oracle.marketPrices());
        t.assetPrices = Shared.packAssets(env.oracle.assetPrices());
        for (uint256 k = 0; k < accounts.length; k++) {
            if (_liquidate(s, env, accounts[k], records[k], t, strict)) count++;
        }
        _payout(env, t);
    }

    /// @notice Liquidates one account, reverting with the reason when it cannot be liquidated.
    function liquidate(
        Types.State storage s,
        Types.Env memory env,
        address account,
        Types.ChallengeRecord calldata record
    ) external {
        Totals memory t;
        t.marketPrices = Shared.packMarkets(env.oracle.marketPrices());
        t.assetPrices = Shared.packAssets(env.oracle.assetPrices());
        _liquidate(s, env, account, record, t, true);
        _payout(env, t);
    }

    /// @notice A liquidated owner claims up to its equity at the liquidation's prices minus the penalty,
    ///         proven by an Equity proof (CLAIM context). The fund pays what it can; the rest is owed.
    function claim(
        Types.State storage s,
        Types.Env memory env,
        Types.LiquidationRecord calldata r,
        uint256 claimed,
        Proof calldata proof
    ) external {
        Types.Account storage acc = s.accounts[msg.sender];
        if (acc.status != Types.Status.Liquidated) revert IZkMarginRegistry.Registry__NotLiquidated(msg.sender);
        if (acc.recordHash != keccak256(abi.encode(r))) revert IZkMarginRegistry.Registry__BadRecord(msg.sender);
        if (block.timestamp > r.claimUntil) revert IZkMarginRegistry.Registry__ClaimWindowOver(r.claimUntil);
        uint256[5] memory sig;
        sig[0] = acc.commitment;
        sig[1] = PublicInputs.context(PublicInputs.CLAIM, msg.sender, r.nonce);
        (sig[2], sig[3], sig[4]) = PublicInputs.equityWords(r.value, claimed, r.penalty, r.marketPrices);
        if (!env.equityVerifier.verifyProof(proof.a, proof.b, proof.c, sig)) {
            revert IZkMarginRegistry.Registry__ProofInvalid();
        }
        acc.status = Types.Status.Closed;
        uint256 tokens = Shared.tokensFor(env, 0, claimed, Shared.at64(r.assetPrices, 0), Math.Rounding.Floor);
        uint256 paid = tokens == 0 ? 0 : env.fund.pay(msg.sender, tokens, msg.sender);
        emit IZkMarginRegistry.Claimed(msg.sender, claimed, tokens, paid);
    }

    /// @notice bountyBps at time `t`: min during the exclusive period, then rising linearly to max over
    ///         the ramp (Aave v4's rising bonus), so keepers need not race each other with gas.
    function bountyBps(
        Types.Incentives memory inc,
        uint256 exclusiveEnd,
        uint256 ramp
    ) internal view returns (uint256) {
        if (block.timestamp <= exclusiveEnd || inc.bountyMaxBps <= inc.bountyMinBps) return inc.bountyMinBps;
        uint256 elapsed = block.timestamp - exclusiveEnd;
        if (ramp == 0 || elapsed >= ramp) return inc.bountyMaxBps;
        return inc.bountyMinBps + ((uint256(inc.bountyMaxBps) - inc.bountyMinBps) * elapsed) / ramp;
    }

    /// @notice Settlement asset to the fund, the other assets to one auction each, bounties to the caller.
    function _payout(Types.Env memory env, Totals memory t) private {
        if (t.toFund[0] > 0) IERC20(env.tokens[0]).safeTransfer(address(env.fund), t.toFund[0]);
        for (uint256 i = 0; i < env.assetCount; i++) {
            if (t.toAuction[i] > 0) {
                IERC20(env.tokens[i]).safeTransfer(address(env.auction), t.toAuction[i]);
                env.auction.kick(i, t.toAuction[i]);
            }
            if (t.bounty[i] > 0) IERC20(env.tokens[i]).safeTransfer(msg.sender, t.bounty[i]);
        }
    }

    function _liquidate(
        Types.State storage s,
        Types.Env memory env,
        address account,
        Types.ChallengeRecord calldata r,
        Totals memory t,
        bool strict
    ) private returns (bool) {
        Types.Account storage acc = s.accounts[account];
        if (acc.status != Types.Status.Active) {
            if (strict) revert IZkMarginRegistry.Registry__NotActive(account);
            return false;
        }
        bytes32 h = acc.recordHash;
        if (h == 0 || h != keccak256(abi.encode(r))) {
            if (strict) revert IZkMarginRegistry.Registry__NoOpenChallenge(account);
            return false;
        }
        uint256 due = Shared.deadline(env, r);
        if (block.timestamp <= due) {
            if (strict) revert IZkMarginRegistry.Registry__DeadlineNotPassed(due);
            return false;
        }
        uint256 exclusiveEnd = due + r.exclusivePeriod;
        if (block.timestamp <= exclusiveEnd && msg.sender != r.challenger) {
            if (strict) revert IZkMarginRegistry.Registry__ExclusivePeriod(r.challenger, exclusiveEnd);
            return false;
        }
        _seize(s, env, account, r, exclusiveEnd, t);
        return true;
    }

    function _seize(
        Types.State storage s,
        Types.Env memory env,
        address account,
        Types.ChallengeRecord calldata r,
        uint256 exclusiveEnd,
        Totals memory t
    ) private {
        uint256[4] storage bal = s.collateral[account];
        uint256 v = Shared.value(env, bal, t.assetPrices, s.haircuts);
        uint256 bountyValue = _bountyValue(s, v, exclusiveEnd);
        for (uint256 i = 0; i < env.assetCount; i++) {
            uint256 b = bal[i];
            if (b == 0) continue;
            uint256 share = v == 0 ? 0 : Math.mulDiv(b, bountyValue, v);
            bal[i] = 0;
            t.bounty[i] += share;
            if (i == 0) t.toFund[0] += b - share;
            else t.toAuction[i] += b - share;
        }
        Types.LiquidationRecord memory rec = Types.LiquidationRecord({
            nonce: r.nonce,
            claimUntil: uint40(block.timestamp + s.timing.claimWindow),
            value: uint128(v),
            penalty: uint128((v * s.incentives.penaltyBps) / Types.BPS),
            marketPrices: t.marketPrices,
            assetPrices: t.assetPrices
        });
        Types.Account storage acc = s.accounts[account];
        acc.recordHash = keccak256(abi.encode(rec));
        acc.status = Types.Status.Liquidated;
        emit IZkMarginRegistry.Liquidated(account, msg.sender, rec, bountyValue);
        Shared.sendEth(s, r.challenger, r.bond);
    }

    function _bountyValue(Types.State storage s, uint256 v, uint256 exclusiveEnd) private view returns (uint256) {
        Types.Incentives memory inc = s.incentives;
        return Math.min((v * bountyBps(inc, exclusiveEnd, s.timing.bountyRamp)) / Types.BPS, inc.bountyCap);
    }
}
