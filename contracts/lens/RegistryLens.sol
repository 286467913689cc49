// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IOracleAdapterV2, IRiskRatios, IFundPayer} from "../interfaces/IProtocol.sol";
import {PublicInputs} from "../registry/PublicInputs.sol";
import {Types} from "../registry/Types.sol";
import {Shared} from "../registry/logic/Shared.sol";

/// @notice The registry's read interface the lens uses.
interface IRegistryReader {
    function oracle() external view returns (IOracleAdapterV2);
    function risk() external view returns (IRiskRatios);
    function fund() external view returns (IFundPayer);
    function assetCount() external view returns (uint256);
    function assets() external view returns (address[] memory tokens, uint8[] memory decimals);
    function accountOf(address account) external view returns (Types.Account memory);
    function collateralOf(address account) external view returns (uint256[4] memory);
    function haircuts() external view returns (uint64);
    function timing() external view returns (Types.Timing memory);
    function deleverageParams() external view returns (Types.Deleverage memory);
    function contextOf(uint256 domain, address account, uint256 nonce) external view returns (uint256);
    function paused() external view returns (bool);
}

/// @title RegistryLens
/// @notice Read-only views over a registry (MACI's getPublicCircuitInputs, Compound's lens): the public
///         signals each entry point will rebuild, and the keeper's many-accounts-in-one-call checks. The
///         registry itself is the authority: these views mirror its logic for provers, integrators and
///         tests, and a test checks they agree with what the registry verifies.
contract RegistryLens {
    uint256 private constant BPS = 10_000;
    uint256 private constant PRICE_TO_VALUE = 1e10;

    IRegistryReader public immutable registry;

    constructor(IRegistryReader registry_) {
        registry = registry_;
    }

    struct Market {
        uint256 marketPrices;
        uint256 assetPrices;
        uint64 mm;
        uint64 im;
        uint64 haircuts;
        uint8[] decimals;
    }

    /// @notice Current prices, ratios and haircuts as the registry will read them.
    function market() public view returns (Market memory m) {
        uint64[4] memory p = registry.oracle().marketPrices();
        m.marketPrices = uint256(p[0]) | (uint256(p[1]) << 64) | (uint256(p[2]) << 128) | (uint256(p[3]) << 192);
        uint64[] memory a = registry.oracle().assetPrices();
        for (uint256 i = 0; i < a.length; i++) m.assetPrices |= uint256(a[i]) << (64 * i);
        uint256 r = registry.risk().packedRatios();
        m.mm = uint64(r);
        m.im = uint64(r >> 64);
        m.haircuts = registry.haircuts();
        (, m.decimals) = registry.assets();
    }

    /// @notice Collateral value of `bal` at packed asset prices and haircuts (the registry's formula).
    function valueOf(
        uint256[4] memory bal,
        uint256 assetPrices,
        uint64 haircuts,
        uint8[] memory decimals
    ) public pure returns (uint256 v) {
        for (uint256 i = 0; i < decimals.length; i++) {
            if (bal[i] == 0) continue;
            uint256 price = uint64(assetPrices >> (64 * i));
            uint256 h = uint16(haircuts >> (16 * i));
            v += Math.mulDiv(bal[i], price * h * PRICE_TO_VALUE, BPS * 10 ** decimals[i]);
        }
    }

    /// @notice Balances after taking `v` value units at oracle prices, settlement asset first (takeValue).
    function afterLoss(
        uint256[4] memory bal,
        uint256 v,
        uint256 assetPrices,
        uint8[] memory decimals
    ) public pure returns (uint256[4] memory) {
        for (uint256 i = 0; i < decimals.length && v > 0; i++) {
            uint256 price = uint64(assetPrices >> (64 * i));
            uint256 need = Math.mulDiv(v, 10 ** decimals[i], price * PRICE_TO_VALUE, Math.Rounding.Ceil);
            uint256 take = Math.min(bal[i], need);
            bal[i] -= take;
            v -= Math.min(v, Math.mulDiv(take, price * PRICE_TO_VALUE, 10 ** decimals[i]));
        }
        return bal;
    }

    /// @notice The public signals update(u) will verify now, and V' (the fund's shortfall included).
    function updateSignals(
        address account,
        Types.UpdateArgs calldata u
    ) external view returns (uint256[6] memory sig, uint256 valueAfter) {
        Market memory m = market();
        uint256[4] memory bal = registry.collateralOf(account);
        if (u.settle > 0) {
            uint256 tokens = Math.mulDiv(
                uint256(u.settle),
                10 ** m.decimals[0],
                uint64(m.assetPrices) * PRICE_TO_VALUE
            );
            bal[0] += Math.min(tokens, registry.fund().available());
        } else if (u.settle < 0) {
            bal = afterLoss(bal, uint256(-u.settle), m.assetPrices, m.decimals);
        }
        if (u.withdrawAmount > 0) bal[u.withdrawAsset] -= u.withdrawAmount;
        valueAfter = valueOf(bal, m.assetPrices, m.haircuts, m.decimals);
        Types.Account memory acc = registry.accountOf(account);
        sig[0] = acc.commitment;
        sig[1] = u.newCommitment;
        sig[2] = registry.contextOf(PublicInputs.UPDATE, account, acc.nonce);
        (sig[3], sig[4], sig[5]) = PublicInputs.updateWords(
            valueAfter,
            u.settle,
            u.withdrawAmount > 0,
            u.d,
            registry.deleverageParams().minValue,
            m.marketPrices,
            m.mm,
            m.im,
            u.pm
        );
    }

    /// @notice The public signals prove(d, pm) will verify now.
    function proveSignals(address account, uint16 d, uint64 pm) external view returns (uint256[4] memory sig) {
        Market memory m = market();
        Types.Account memory acc = registry.accountOf(account);
        sig[0] = acc.commitment;
        sig[1] = registry.contextOf(PublicInputs.PROVE, account, acc.nonce);
        uint256 v = valueOf(registry.collateralOf(account), m.assetPrices, m.haircuts, m.decimals);
        (sig[2], sig[3]) = PublicInputs.certificateWords(v, d, m.marketPrices, pm);
    }

    /// @notice The public signals respond(account, r, d, pm) will verify (pinned prices and haircuts).
    function respondSignals(
        address account,
        Types.ChallengeRecord calldata r,
        uint16 d,
        uint64 pm
    ) external view returns (uint256[4] memory sig) {
        (, uint8[] memory decimals) = registry.assets();
        sig[0] = registry.accountOf(account).commitment;
        sig[1] = registry.contextOf(PublicInputs.RESPOND, account, r.nonce);
        uint256 v = valueOf(registry.collateralOf(account), r.assetPrices, r.haircuts, decimals);
        (sig[2], sig[3]) = PublicInputs.certificateWords(v, d, r.marketPrices, pm);
    }

    /// @notice The public signals respondDeleverage(account, r, a) will verify now, and V' after the fee.
    function deleverageSignals(
        address account,
        Types.ChallengeRecord calldata r,
        Types.DeleverageArgs calldata a
    ) external view returns (uint256[6] memory sig, uint256 valueAfter) {
        Market memory m = market();
        uint256[4] memory bal = afterLoss(registry.collateralOf(account), a.fee, m.assetPrices, m.decimals);
        valueAfter = valueOf(bal, m.assetPrices, m.haircuts, m.decimals);
        sig[0] = registry.accountOf(account).commitment;
        sig[1] = a.newCommitment;
        sig[2] = registry.contextOf(PublicInputs.DELEVERAGE, account, r.nonce);
        (sig[3], sig[4], sig[5]) = PublicInputs.deleverageWords(
            valueAfter,
            a.fee,
            r.deleverageFeeBps,
            a.d,
            m.marketPrices,
            a.pm
        );
    }

    /// @notice The public signals claim(r, claimed) will verify.
    function claimSignals(
        address account,
        Types.LiquidationRecord calldata r,
        uint256 claimed
    ) external view returns (uint256[5] memory sig) {
        sig[0] = registry.accountOf(account).commitment;
        sig[1] = registry.contextOf(PublicInputs.CLAIM, account, r.nonce);
        (sig[2], sig[3], sig[4]) = PublicInputs.equityWords(r.value, claimed, r.penalty, r.marketPrices);
    }

    /// @notice For a keeper, in one call: which of `accounts` (with their latest certificates) the
    ///         registry would let it challenge now, and each one's collateral value at current prices
    ///         (the bounty's base). A certificate that is not the stored one counts as not challengeable.
    function challengeable(
        address[] calldata accounts,
        Types.Cert[] calldata certs
    ) external view returns (bool[] memory flags, uint256[] memory collateralValues) {
        Market memory m = market();
        uint256 freshness = registry.timing().freshness;
        bool paused = registry.paused();
        flags = new bool[](accounts.length);
        collateralValues = new uint256[](accounts.length);
        for (uint256 k = 0; k < accounts.length; k++) {
            Types.Account memory acc = registry.accountOf(accounts[k]);
            collateralValues[k] = valueOf(registry.collateralOf(accounts[k]), m.assetPrices, m.haircuts, m.decimals);
            if (paused || acc.status != Types.Status.Active || acc.recordHash != 0) continue;
            if (acc.certHash != keccak256(abi.encode(certs[k]))) continue;
            flags[k] = Shared.challengeable(
                certs[k],
                freshness,
                m.marketPrices,
                m.assetPrices,
                m.decimals.length,
                m.mm,
                m.haircuts
            );
        }
    }

    /// @notice Collateral values of many accounts at current prices (keepers rank by expected bounty).
    function values(address[] calldata accounts) external view returns (uint256[] memory out) {
        Market memory m = market();
        out = new uint256[](accounts.length);
        for (uint256 k = 0; k < accounts.length; k++) {
            out[k] = valueOf(registry.collateralOf(accounts[k]), m.assetPrices, m.haircuts, m.decimals);
        }
    }
}
