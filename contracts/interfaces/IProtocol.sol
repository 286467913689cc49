// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice What the registry reads from the oracle adapter (contracts/oracle/OracleAdapter.sol).
interface IOracleAdapterV2 {
    /// @notice Current market prices (8 decimals); reverts on a bad round or while the sequencer is down.
    function marketPrices() external view returns (uint64[4] memory);

    /// @notice Current collateral prices (8 decimals), index 0 the settlement asset; reverts likewise.
    function assetPrices() external view returns (uint64[] memory);

    /// @notice Number of collateral assets with a feed.
    function assetCount() external view returns (uint256);

    /// @notice Seconds of the latest sequencer outage that ended after `t`, plus the grace period (0 if none).
    function sequencerDowntimeSince(uint256 t) external view returns (uint256);
}

/// @notice What the registry reads from the risk engine (contracts/risk/RiskEngine.sol).
interface IRiskRatios {
    /// @notice Maintenance ratio of market j at bits 16j, initial at bits 64 + 16j (basis points).
    function packedRatios() external view returns (uint256);
}

/// @notice What the registry asks of the insurance fund (contracts/fund/InsuranceFund.sol).
interface IFundPayer {
    /// @notice Pays min(amount, available) of the settlement asset to `to`; the rest is owed to `creditor`.
    function pay(address to, uint256 amount, address creditor) external returns (uint256 paid);

    /// @notice What the fund can pay now without jumping ahead of what it owes.
    function available() external view returns (uint256);
}

/// @notice What the registry asks of the auction house (contracts/auction/AuctionHouse.sol).
interface IAuctionKicker {
    /// @notice Starts an auction of `lot` tokens of collateral asset `asset`, already transferred.
    function kick(uint256 asset, uint256 lot) external returns (uint256 id);
}
