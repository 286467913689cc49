// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IOracleAdapter
/// @notice Errors, events and functions of the zkmargin oracle adapter (v2): Chainlink feeds for the
///         markets and the collateral assets, normalised to 8 decimals, behind an L2 sequencer check;
///         every feed setter goes through the timelock (Governed).
interface IOracleAdapter {
    error Oracle__NonPositiveAnswer(address feed, int256 answer);
    error Oracle__StaleAnswer(address feed, uint256 updatedAt, uint256 maxAge);
    error Oracle__IncompleteRound(address feed, uint80 roundId, uint80 answeredInRound);
    error Oracle__PriceTooLarge(address feed, uint256 price);
    error Oracle__BadDecimals(address feed, uint8 decimals);
    error Oracle__SequencerDown();
    error Oracle__SequencerGracePeriod(uint256 upSince, uint256 grace);
    error Oracle__SequencerRoundInvalid(uint256 startedAt);
    error Oracle__BadFeed(address feed);
    error Oracle__BadMaxAge(uint32 maxAge);
    error Oracle__BadGrace(uint32 grace);
    error Oracle__BadAssetFeeds(uint256 count);
    error Oracle__BadRequiredDelay(uint256 delay);
    error Oracle__UnknownMarket(uint256 market);
    error Oracle__UnknownAsset(uint256 asset);

    event MarketFeedSet(uint256 indexed market, address feed, uint32 maxAge);
    event AssetFeedSet(uint256 indexed asset, address feed, uint32 maxAge);
    event SequencerFeedSet(address feed, uint32 grace);
    event RequiredDelaySet(uint256 delay);

    /// @notice Replaces a market's feed and its maximum answer age (governance, after the timelock delay).
    function setMarketFeed(uint256 market, address feed, uint32 maxAge) external;

    /// @notice Replaces a collateral asset's feed and its maximum answer age (governance).
    function setAssetFeed(uint256 asset, address feed, uint32 maxAge) external;

    /// @notice Sets (or clears, with address 0) the L2 sequencer-uptime feed and its grace period (governance).
    function setSequencerFeed(address feed, uint32 grace) external;

    /// @notice Sets the minimum timelock delay this contract demands of its owner (governance).
    function setRequiredDelay(uint256 delay) external;

    /// @notice Number of collateral assets with a feed.
    function assetCount() external view returns (uint256);

    /// @notice A market's feed and the maximum age of its answers (seconds).
    function marketFeed(uint256 market) external view returns (address feed, uint32 maxAge);

    /// @notice A collateral asset's feed and the maximum age of its answers (seconds).
    function assetFeed(uint256 asset) external view returns (address feed, uint32 maxAge);

    /// @notice Current market prices (8 decimals); reverts on any bad round or sequencer outage.
    function marketPrices() external view returns (uint64[4] memory prices);

    /// @notice Current collateral asset prices (8 decimals); reverts on any bad round or sequencer outage.
    function assetPrices() external view returns (uint64[] memory prices);

    /// @notice Current price of one collateral asset (8 decimals); same checks as assetPrices.
    function assetPrice(uint256 asset) external view returns (uint64 price);

    /// @notice Seconds of the latest sequencer outage (plus the grace period) that ended after time `t`.
    function sequencerDowntimeSince(uint256 t) external view returns (uint256);
}
