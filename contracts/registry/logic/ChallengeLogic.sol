// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// `env` is the registry's immutables, built in memory by the registry and handed on to internal helpers
// that take it as memory: declaring it calldata would copy it into memory in every helper instead.
/* solhint-disable gas-calldata-parameters */

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IZkMarginRegistry} from "../../interfaces/IZkMarginRegistry.sol";
import {Proof} from "../../interfaces/IVerifiers.sol";
import {PublicInputs} from "../PublicInputs.sol";
import {Types} from "../Types.sol";
import {Shared} from "./Shared.sol";

/// @title ChallengeLogic
/// @notice challenge (single and batch), respond with a Certificate (single and batch), and
///         respondDeleverage, run by the registry through delegatecall on its own storage.
library ChallengeLogic {
    /// @notice What one challenge pins, shared by every account of a batch.
    struct Pin {
        uint256 marketPrices;
        uint256 assetPrices;
        uint64 mm;
        uint64 haircuts;
        uint40 deadline;
    }

    /// @notice Challenges every challengeable account of `accounts` (each with its current certificate)
    ///         with one oracle read; skips the rest and refunds their bonds. Returns the count.
    function challengeBatch(
        Types.State storage s,
        Types.Env memory env,
        address[] calldata accounts,
        Types.Cert[] calldata certs
    ) external returns (uint256 count) {
        if (accounts.length != certs.length) revert IZkMarginRegistry.Registry__LengthMismatch();
        Pin memory pin = _pin(s, env);
        Types.Incentives memory inc = s.incentives;
        uint256 freshness = s.timing.freshness;
        for (uint256 k = 0; k < accounts.length; k++) {
            Types.Account storage acc = s.accounts[accounts[k]];
            if (acc.status != Types.Status.Active || acc.recordHash != 0) continue;
            if (acc.certHash != keccak256(abi.encode(certs[k]))) continue;
            if (
                !Shared.challengeable(
                    certs[k],
                    freshness,
                    pin.marketPrices,
                    pin.assetPrices,
                    env.assetCount,
                    pin.mm,
                    pin.haircuts
                )
            ) continue;
            _open(s, env, acc, accounts[k], pin, inc.bond);
            count++;
        }
        uint256 cost = count * inc.bond;
        if (msg.value < cost) revert IZkMarginRegistry.Registry__WrongBond(msg.value, cost);
        if (msg.value > cost) Shared.sendEth(s, msg.sender, msg.value - cost);
    }

    /// @notice Challenges one account; reverts with the reason when it cannot be challenged.
    function challenge(
        Types.State storage s,
        Types.Env memory env,
        address account,
        Types.Cert calldata cert
    ) external {
        Types.Account storage acc = Shared.recordOf(s, account);
        if (acc.recordHash != 0) revert IZkMarginRegistry.Registry__Challenged(account);
        if (acc.certHash != keccak256(abi.encode(cert))) revert IZkMarginRegistry.Registry__BadCert(account);
        uint128 bond = s.incentives.bond;
        if (msg.value != bond) revert IZkMarginRegistry.Registry__WrongBond(msg.value, bond);
        Pin memory pin = _pin(s, env);
        if (
            !Shared.challengeable(
                cert,
                s.timing.freshness,
                pin.marketPrices,
                pin.assetPrices,
                env.assetCount,
                pin.mm,
                pin.haircuts
            )
        ) revert IZkMarginRegistry.Registry__NotChallengeable(account);
        _open(s, env, acc, account, pin, bond);
    }

    /// @notice Answers an open challenge with a Certificate at the pinned prices, ratios and haircuts
    ///         (RESPOND context). Anyone may submit it; the bond goes to the owner, less the relayer share
    ///         when the submitter is not the owner.
    function respond(
        Types.State storage s,
        Types.Env memory env,
        address account,
        Types.ChallengeRecord calldata r,
        uint16 d,
        uint64 pm,
        Proof calldata proof
    ) external {
        uint256[4] memory sig = _respondSignals(s, env, account, r, d, pm);
        if (!env.certificateVerifier.verifyProof(proof.a, proof.b, proof.c, sig)) {
            revert IZkMarginRegistry.Registry__ProofInvalid();
        }
        Shared.sendEth(s, msg.sender, _answered(s, s.accounts[account], account, r, d, pm));
    }

    /// @notice Answers many challenges with one batched pairing check (k + 3 pairings). Members whose
    ///         challenge is no longer open (answered, liquidated or past its deadline) are skipped; if the
    ///         rest does not verify together the whole call reverts. Returns how many were answered.
    function respondBatch(
        Types.State storage s,
        Types.Env memory env,
        Types.Answer[] calldata answers
    ) external returns (uint256 count) {
        bool[] memory live;
        (live, count) = _live(s, env, answers);
        if (count == 0) return 0;
        _verifyBatch(s, env, answers, live, count);
        uint256 fees;
        for (uint256 k = 0; k < answers.length; k++) {
            if (!live[k]) continue;
            Types.Answer calldata x = answers[k];
            Types.Account storage acc = s.accounts[x.account];
            // a member listed twice is answered (and its bond paid) once: the first answer cleared the record
            if (acc.recordHash == 0) {
                count--;
                continue;
            }
            fees += _answered(s, acc, x.account, x.record, x.d, x.pm);
        }
        Shared.sendEth(s, msg.sender, fees); // the submitter's shares, in one transfer
    }

    /// @notice Answers an open challenge with a Deleverage at current prices (DELEVERAGE context): the
    ///         position is reduced privately to a certificate at the target margin, the fee is debited like a
    ///         loss and goes to the fund, the challenger gets its bond back and keeperShareBps of the fee.
    function respondDeleverage(
        Types.State storage s,
        Types.Env memory env,
        address account,
        Types.ChallengeRecord calldata r,
        Types.DeleverageArgs calldata a,
        Proof calldata proof
    ) external {
        Types.Account storage acc = s.accounts[account];
        if (acc.status != Types.Status.Active) revert IZkMarginRegistry.Registry__NotActive(account);
        Shared.requireRecord(acc, account, r);
        uint256 due = Shared.deadline(env, r);
        if (block.timestamp > due) revert IZkMarginRegistry.Registry__DeadlinePassed(due);
        PublicInputs.requireField(a.newCommitment);
        Shared.requireCert(a.d, a.pm, _target(r.mm, r.targetFactorBps));
        uint256 marketPrices = Shared.packMarkets(env.oracle.marketPrices());
        uint256 assetPrices = Shared.packAssets(env.oracle.assetPrices());
        uint64 haircuts = s.haircuts;
        PublicInputs.requireValue(a.fee);
        Shared.takeValue(s, env, account, a.fee, assetPrices);
        uint256[6] memory sig;
        sig[0] = acc.commitment;
        sig[1] = a.newCommitment;
        sig[2] = PublicInputs.context(PublicInputs.DELEVERAGE, account, r.nonce);
        (sig[3], sig[4], sig[5]) = PublicInputs.deleverageWords(
            Shared.value(env, s.collateral[account], assetPrices, haircuts),
            a.fee,
            r.deleverageFeeBps,
            a.d,
            marketPrices,
            a.pm
        );
        if (!env.deleverageVerifier.verifyProof(proof.a, proof.b, proof.c, sig)) {
            revert IZkMarginRegistry.Registry__ProofInvalid();
        }
        acc.commitment = a.newCommitment;
        acc.recordHash = 0;
        emit IZkMarginRegistry.Deleveraged(account, r.nonce, a.newCommitment, a.fee, msg.sender);
        Shared.setCert(
            acc,
            account,
            Types.Cert(uint40(block.timestamp), a.d, a.pm, haircuts, marketPrices, assetPrices)
        );
        Shared.sendEth(s, r.challenger, r.bond);
        uint256 share = (a.fee * r.keeperShareBps) / Types.BPS;
        if (share > 0) {
            uint256 tokens = Shared.tokensFor(env, 0, share, Shared.at64(assetPrices, 0), Math.Rounding.Floor);
            env.fund.pay(r.challenger, tokens, r.challenger);
        }
    }

    // ------------------------------------------------------------------ internals

    function _live(
        Types.State storage s,
        Types.Env memory env,
        Types.Answer[] calldata answers
    ) private view returns (bool[] memory live, uint256 count) {
        live = new bool[](answers.length);
        for (uint256 k = 0; k < answers.length; k++) {
            Types.Account storage acc = s.accounts[answers[k].account];
            if (acc.status != Types.Status.Active) continue;
            if (acc.recordHash != keccak256(abi.encode(answers[k].record))) continue;
            if (block.timestamp > Shared.deadline(env, answers[k].record)) continue;
            live[k] = true;
            count++;
        }
    }

    function _verifyBatch(
        Types.State storage s,
        Types.Env memory env,
        Types.Answer[] calldata answers,
        bool[] memory live,
        uint256 count
    ) private view {
        uint256[2][] memory a = new uint256[2][](count);
        uint256[2][2][] memory b = new uint256[2][2][](count);
        uint256[2][] memory c = new uint256[2][](count);
        uint256[][] memory signals = new uint256[][](count);
        uint256 m;
        for (uint256 k = 0; k < answers.length; k++) {
            if (!live[k]) continue;
            signals[m] = _memberSignals(s, env, answers[k]);
            (a[m], b[m], c[m]) = (answers[k].proof.a, answers[k].proof.b, answers[k].proof.c);
            m++;
        }
        if (!env.batchVerifier.verifyBatch(a, b, c, signals)) revert IZkMarginRegistry.Registry__BatchInvalid();
    }

    function _pin(Types.State storage s, Types.Env memory env) private view returns (Pin memory pin) {
        pin.marketPrices = Shared.packMarkets(env.oracle.marketPrices());
        pin.assetPrices = Shared.packAssets(env.oracle.assetPrices());
        pin.mm = Shared.mmOf(env.risk.packedRatios());
        pin.haircuts = s.haircuts;
        pin.deadline = uint40(block.timestamp + _window(s.timing));
    }

    /// @notice The response window stretched by congestion: window x clamp(basefee / refBasefee, 1, max).
    function _window(Types.Timing memory t) private view returns (uint256) {
        uint256 stretch = t.refBasefee == 0 ? Types.BPS : (block.basefee * Types.BPS) / t.refBasefee;
        stretch = Math.min(Math.max(stretch, Types.BPS), t.maxStretchBps);
        return (uint256(t.responseWindow) * stretch) / Types.BPS;
    }

    function _open(
        Types.State storage s,
        Types.Env memory env,
        Types.Account storage acc,
        address account,
        Pin memory pin,
        uint128 bond
    ) private {
        uint64 nonce = acc.nonce + 1;
        acc.nonce = nonce;
        Types.Deleverage memory dl = s.deleverage;
        Types.ChallengeRecord memory r = Types.ChallengeRecord({
            challenger: msg.sender,
            nonce: nonce,
            pinnedAt: uint40(block.timestamp),
            deadline: pin.deadline,
            pauseClockAt: env.pauseClock,
            bond: bond,
            exclusivePeriod: s.timing.exclusivePeriod,
            targetFactorBps: dl.targetFactorBps,
            deleverageFeeBps: dl.feeBps,
            keeperShareBps: dl.keeperShareBps,
            mm: pin.mm,
            haircuts: pin.haircuts,
            marketPrices: pin.marketPrices,
            assetPrices: pin.assetPrices
        });
        acc.recordHash = keccak256(abi.encode(r));
        emit IZkMarginRegistry.Challenged(account, msg.sender, r);
    }

    function _memberSignals(
        Types.State storage s,
        Types.Env memory env,
        Types.Answer calldata x
    ) private view returns (uint256[] memory out) {
        uint256[4] memory sig = _respondSignals(s, env, x.account, x.record, x.d, x.pm);
        out = new uint256[](4);
        for (uint256 i = 0; i < 4; i++) out[i] = sig[i];
    }

    function _respondSignals(
        Types.State storage s,
        Types.Env memory env,
        address account,
        Types.ChallengeRecord calldata r,
        uint16 d,
        uint64 pm
    ) private view returns (uint256[4] memory sig) {
        Types.Account storage acc = s.accounts[account];
        if (acc.status != Types.Status.Active) revert IZkMarginRegistry.Registry__NotActive(account);
        Shared.requireRecord(acc, account, r);
        uint256 due = Shared.deadline(env, r);
        if (block.timestamp > due) revert IZkMarginRegistry.Registry__DeadlinePassed(due);
        Shared.requireCert(d, pm, r.mm);
        sig[0] = acc.commitment;
        sig[1] = PublicInputs.context(PublicInputs.RESPOND, account, r.nonce);
        (sig[2], sig[3]) = PublicInputs.certificateWords(
            Shared.value(env, s.collateral[account], r.assetPrices, r.haircuts),
            d,
            r.marketPrices,
            pm
        );
    }

    function _answered(
        Types.State storage s,
        Types.Account storage acc,
        address account,
        Types.ChallengeRecord calldata r,
        uint16 d,
        uint64 pm
    ) private returns (uint256 fee) {
        acc.recordHash = 0;
        emit IZkMarginRegistry.Responded(account, r.nonce, msg.sender);
        Shared.setCert(acc, account, Types.Cert(r.pinnedAt, d, pm, r.haircuts, r.marketPrices, r.assetPrices));
        // the submitter's share of the bond (paid by the caller once), the rest to the owner
        fee = msg.sender == account ? 0 : (uint256(r.bond) * s.incentives.relayerShareBps) / Types.BPS;
        Shared.sendEth(s, account, r.bond - fee);
    }

    /// @notice ceil(mm_j x targetFactor / BPS) per market, capped at BPS.
    function _target(uint64 mm, uint16 factorBps) private pure returns (uint64 t) {
        for (uint256 j = 0; j < Types.MARKETS; j++) {
            uint256 v = Math.min(Math.ceilDiv(Shared.at16(mm, j) * factorBps, Types.BPS), Types.BPS);
            t |= uint64(v) << uint64(16 * j);
        }
    }
}
