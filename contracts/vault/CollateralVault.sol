// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title CollateralVault
/// @notice Custody of multi-tier collateral (each asset with its own haircut) and of the insurance fund,
///         which is also the counterparty pool that pays realised gains and receives realised losses.
///         Invariant: for every asset, token.balanceOf(vault) == sum of account collateral + fund.
abstract contract CollateralVault is ReentrancyGuard {
    using SafeERC20 for IERC20;

    uint256 public constant MAX_ASSETS = 4;
    /// @notice Values are in value units: 1e-18 of the quote currency (prices have 8 decimals).
    uint256 internal constant VALUE_DECIMALS = 18;
    uint256 internal constant PRICE_DECIMALS = 8;
    /// @notice Collateral values must fit the circuits' 128-bit value range.
    uint256 internal constant MAX_VALUE = type(uint128).max;
    uint16 public constant MAX_HAIRCUT_BPS = 10_000;

    struct Asset {
        IERC20 token;
        uint8 decimals;
        uint16 haircutBps;
    }

    Asset[] internal _assets;
    mapping(address account => uint256[MAX_ASSETS]) internal _collateral;
    uint256[MAX_ASSETS] internal _fund;

    error Vault__BadAssets();
    error Vault__UnknownAsset(uint256 asset);
    error Vault__BadHaircut(uint16 haircutBps);
    error Vault__ZeroAmount();
    error Vault__InsufficientCollateral(uint256 asset, uint256 balance, uint256 needed);
    error Vault__FundInsufficient(uint256 asset, uint256 balance, uint256 needed);
    error Vault__ValueTooLarge(uint256 value);

    event HaircutSet(uint256 indexed asset, uint16 haircutBps);
    event FundDeposited(address indexed from, uint256 indexed asset, uint256 amount);

    /// @param tokens collateral tokens; tokens[0] is the settlement asset (PnL, bounties and claims)
    constructor(address[] memory tokens, uint16[] memory haircutsBps) {
        if (tokens.length == 0 || tokens.length > MAX_ASSETS || tokens.length != haircutsBps.length)
            revert Vault__BadAssets();
        for (uint256 i = 0; i < tokens.length; i++) {
            _requireHaircut(haircutsBps[i]);
            _assets.push(Asset(IERC20(tokens[i]), IERC20Metadata(tokens[i]).decimals(), haircutsBps[i]));
            emit HaircutSet(i, haircutsBps[i]);
        }
    }

    /// @notice Adds to the insurance fund (anyone).
    function fundDeposit(uint256 asset, uint256 amount) external nonReentrant {
        uint256 received = _pull(asset, msg.sender, amount);
        _fund[asset] += received;
        emit FundDeposited(msg.sender, asset, received);
    }

    /// @notice Collateral assets: token, decimals, haircut.
    function assets() external view returns (Asset[] memory) {
        return _assets;
    }

    /// @notice An account's collateral balance of one asset.
    function collateralOf(address account, uint256 asset) external view returns (uint256) {
        return _collateral[account][asset];
    }

    /// @notice The insurance fund's balance of one asset.
    function fundBalance(uint256 asset) external view returns (uint256) {
        return _fund[asset];
    }

    function _setHaircut(uint256 asset, uint16 haircutBps) internal {
        if (asset >= _assets.length) revert Vault__UnknownAsset(asset);
        _requireHaircut(haircutBps);
        _assets[asset].haircutBps = haircutBps;
        emit HaircutSet(asset, haircutBps);
    }

    function _requireHaircut(uint16 haircutBps) private pure {
        if (haircutBps == 0 || haircutBps > MAX_HAIRCUT_BPS) revert Vault__BadHaircut(haircutBps);
    }

    /// @notice V = sum_i balance_i x price_i x haircut_i, in value units, rounded down.
    function _value(address account, uint64[] memory prices) internal view returns (uint256 v) {
        uint256[MAX_ASSETS] storage bal = _collateral[account];
        uint256 n = _assets.length;
        for (uint256 i = 0; i < n; i++) {
            uint256 b = bal[i];
            if (b != 0) v += _assetValue(i, b, prices[i]);
        }
        if (v > MAX_VALUE) revert Vault__ValueTooLarge(v);
    }

    /// @notice Value of `balance` of asset `i` at `price` after its haircut (value units, rounded down).
    function _assetValue(uint256 i, uint256 balance, uint64 price) internal view returns (uint256) {
        Asset memory a = _assets[i];
        return
            Math.mulDiv(
                balance,
                uint256(price) * a.haircutBps * 10 ** (VALUE_DECIMALS - PRICE_DECIMALS),
                10_000 * 10 ** a.decimals
            );
    }

    /// @notice Token amount of `value` value units of an asset at `price` (no haircut).
    function _tokensFor(
        uint256 asset,
        uint256 value,
        uint64 price,
        Math.Rounding rounding
    ) internal view returns (uint256) {
        return
            Math.mulDiv(
                value,
                10 ** _assets[asset].decimals,
                uint256(price) * 10 ** (VALUE_DECIMALS - PRICE_DECIMALS),
                rounding
            );
    }

    function _debit(address account, uint256 asset, uint256 amount) internal {
        uint256 b = _collateral[account][asset];
        if (b < amount) revert Vault__InsufficientCollateral(asset, b, amount);
        _collateral[account][asset] = b - amount;
    }

    function _fundPay(uint256 asset, uint256 amount) internal {
        uint256 f = _fund[asset];
        if (f < amount) revert Vault__FundInsufficient(asset, f, amount);
        _fund[asset] = f - amount;
    }

    /// @dev Credits what actually arrived (fee-on-transfer tokens credit less than `amount`).
    function _pull(uint256 asset, address from, uint256 amount) internal returns (uint256 received) {
        if (asset >= _assets.length) revert Vault__UnknownAsset(asset);
        if (amount == 0) revert Vault__ZeroAmount();
        IERC20 token = _assets[asset].token;
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(from, address(this), amount);
        received = token.balanceOf(address(this)) - before;
    }

    function _push(uint256 asset, address to, uint256 amount) internal {
        if (amount > 0) _assets[asset].token.safeTransfer(to, amount);
    }
}
