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

/// @title AccountLogic
/// @notice update (trade, settlement, withdrawal) and prove (proactive certificate), run by the registry
///         through delegatecall on its own storage.
library AccountLogic {
    using SafeERC20 for IERC20;

    /// @notice Applies one private state transition proven by an Update proof (docs/protocol-v2.md).
    /// @dev Checks-effects-interactions: the fund pays (s > 0) or is paid (s < 0) before the proof is
    ///      checked because V' depends on what it paid; a failed proof reverts both.
    function update(
        Types.State storage s,
        Types.Env memory env,
        Types.UpdateArgs calldata u,
        Proof calldata proof
    ) external {
        Types.Account storage acc = Shared.recordOf(s, msg.sender);
        if (acc.recordHash != 0) revert IZkMarginRegistry.Registry__Challenged(msg.sender);
        PublicInputs.requireField(u.newCommitment);
        PublicInputs.offsetSigned(u.settle); // |s| < 2^127, checked before the fund pays or is paid
        uint256 marketPrices = Shared.packMarkets(env.oracle.marketPrices());
        uint256 assetPrices = Shared.packAssets(env.oracle.assetPrices());
        uint256 ratios = env.risk.packedRatios();
        Shared.requireCert(u.d, u.pm, Shared.mmOf(ratios));
        uint256[4] storage bal = s.collateral[msg.sender];
        if (u.settle > 0) {
            uint256 tokens = Shared.tokensFor(
                env,
                0,
                uint256(u.settle),
                Shared.at64(assetPrices, 0),
                Math.Rounding.Floor
            );
            // what the fund cannot pay now is owed to the owner and paid to its address later
            bal[0] += env.fund.pay(address(this), tokens, msg.sender);
        } else if (u.settle < 0) {
            Shared.takeValue(s, env, msg.sender, uint256(-u.settle), assetPrices);
        }
        if (u.withdrawAmount > 0) {
            if (u.withdrawAsset >= env.assetCount) revert IZkMarginRegistry.Registry__UnknownAsset(u.withdrawAsset);
            uint256 b = bal[u.withdrawAsset];
            if (b < u.withdrawAmount) {
                revert IZkMarginRegistry.Registry__InsufficientCollateral(u.withdrawAsset, b, u.withdrawAmount);
            }
            bal[u.withdrawAsset] = b - u.withdrawAmount;
        }
        uint256[6] memory sig = _updateSignals(s, env, acc, u, marketPrices, assetPrices, ratios);
        if (!env.updateVerifier.verifyProof(proof.a, proof.b, proof.c, sig)) {
            revert IZkMarginRegistry.Registry__ProofInvalid();
        }
        acc.commitment = u.newCommitment;
        uint64 nonce = acc.nonce + 1;
        acc.nonce = nonce;
        emit IZkMarginRegistry.Updated(msg.sender, nonce, u.newCommitment, u.settle, u.withdrawAsset, u.withdrawAmount);
        Shared.setCert(
            acc,
            msg.sender,
            Types.Cert(uint40(block.timestamp), u.d, u.pm, s.haircuts, marketPrices, assetPrices)
        );
        if (u.withdrawAmount > 0) IERC20(env.tokens[u.withdrawAsset]).safeTransfer(msg.sender, u.withdrawAmount);
    }

    /// @notice The owner refreshes its certificate at current prices with a Certificate proof (PROVE
    ///         context, so a proof made for respond is never accepted here).
    function prove(Types.State storage s, Types.Env memory env, uint16 d, uint64 pm, Proof calldata proof) external {
        Types.Account storage acc = Shared.recordOf(s, msg.sender);
        if (acc.recordHash != 0) revert IZkMarginRegistry.Registry__Challenged(msg.sender);
        uint256 marketPrices = Shared.packMarkets(env.oracle.marketPrices());
        uint256 assetPrices = Shared.packAssets(env.oracle.assetPrices());
        Shared.requireCert(d, pm, Shared.mmOf(env.risk.packedRatios()));
        uint64 haircuts = s.haircuts;
        uint256[4] memory sig;
        sig[0] = acc.commitment;
        sig[1] = PublicInputs.context(PublicInputs.PROVE, msg.sender, acc.nonce);
        (sig[2], sig[3]) = PublicInputs.certificateWords(
            Shared.value(env, s.collateral[msg.sender], assetPrices, haircuts),
            d,
            marketPrices,
            pm
        );
        if (!env.certificateVerifier.verifyProof(proof.a, proof.b, proof.c, sig)) {
            revert IZkMarginRegistry.Registry__ProofInvalid();
        }
        acc.nonce += 1;
        Shared.setCert(
            acc,
            msg.sender,
            Types.Cert(uint40(block.timestamp), d, pm, haircuts, marketPrices, assetPrices)
        );
    }

    function _updateSignals(
        Types.State storage s,
        Types.Env memory env,
        Types.Account storage acc,
        Types.UpdateArgs calldata u,
        uint256 marketPrices,
        uint256 assetPrices,
        uint256 ratios
    ) private view returns (uint256[6] memory sig) {
        sig[0] = acc.commitment;
        sig[1] = u.newCommitment;
        sig[2] = PublicInputs.context(PublicInputs.UPDATE, msg.sender, acc.nonce);
        (sig[3], sig[4], sig[5]) = PublicInputs.updateWords(
            Shared.value(env, s.collateral[msg.sender], assetPrices, s.haircuts),
            u.settle,
            u.withdrawAmount > 0,
            u.d,
            s.deleverage.minValue,
            marketPrices,
            Shared.mmOf(ratios),
            Shared.imOf(ratios),
            u.pm
        );
    }
}
