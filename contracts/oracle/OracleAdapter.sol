// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

/// @title OracleAdapter
/// @notice Reads Chainlink AggregatorV3Interface feeds for the markets and collateral assets, rejects
///         non-positive, stale and incomplete rounds, honours an optional L2 sequencer-uptime feed with a
///         grace period, and normalises every answer to 8 decimals (< 2^64, the circuits' price width).
contract OracleAdapter is Ownable2Step {
    /// @notice Number of markets (fixed by the circuits' default instances).
    uint256 public constant MARKETS = 4;
    /// @notice Decimals of every normalised price.
    uint8 public constant PRICE_DECIMALS = 8;
    uint256 private constant MAX_PRICE = type(uint64).max;
    uint32 public constant MIN_MAX_AGE = 60;
    uint32 public constant MAX_MAX_AGE = 7 days;
    uint32 public constant MAX_GRACE = 1 days;

    struct Feed {
        AggregatorV3Interface aggregator;
        uint32 maxAge;
        uint8 decimals;
    }

    Feed[MARKETS] private _markets;
    Feed[] private _assets;
    AggregatorV3Interface public sequencerFeed;
    uint32 public sequencerGrace;

    error Oracle__NonPositiveAnswer(address feed, int256 answer);
    error Oracle__StaleAnswer(address feed, uint256 updatedAt, uint256 maxAge);
    error Oracle__IncompleteRound(address feed, uint80 roundId, uint80 answeredInRound);
    error Oracle__PriceTooLarge(address feed, uint256 price);
    error Oracle__SequencerDown();
    error Oracle__SequencerGracePeriod(uint256 upSince, uint256 grace);
    error Oracle__BadFeed(address feed);
    error Oracle__BadMaxAge(uint32 maxAge);
    error Oracle__BadGrace(uint32 grace);
    error Oracle__BadAssetFeeds(uint256 count);
    error Oracle__UnknownMarket(uint256 market);
    error Oracle__UnknownAsset(uint256 asset);
    error Oracle__SequencerRoundInvalid(uint256 startedAt);

    event MarketFeedSet(uint256 indexed market, address feed, uint32 maxAge);
    event AssetFeedSet(uint256 indexed asset, address feed, uint32 maxAge);
    event SequencerFeedSet(address feed, uint32 grace);

    /// @param marketFeeds one Chainlink feed per market, and its heartbeat bound (seconds)
    /// @param assetFeeds one Chainlink feed per collateral asset (at most 4), in the registry's asset order
    constructor(
        address owner_,
        address[MARKETS] memory marketFeeds,
        uint32[MARKETS] memory marketMaxAges,
        address[] memory assetFeeds,
        uint32[] memory assetMaxAges
    ) Ownable(owner_) {
        if (assetFeeds.length == 0 || assetFeeds.length > 4 || assetFeeds.length != assetMaxAges.length) {
            revert Oracle__BadAssetFeeds(assetFeeds.length);
        }
        for (uint256 j = 0; j < MARKETS; j++) {
            _markets[j] = _feed(marketFeeds[j], marketMaxAges[j]);
            emit MarketFeedSet(j, marketFeeds[j], marketMaxAges[j]);
        }
        for (uint256 i = 0; i < assetFeeds.length; i++) {
            _assets.push(_feed(assetFeeds[i], assetMaxAges[i]));
            emit AssetFeedSet(i, assetFeeds[i], assetMaxAges[i]);
        }
    }

    /// @notice Replaces a market's feed (owner only).
    function setMarketFeed(uint256 market, address feed, uint32 maxAge) external onlyOwner {
        if (market >= MARKETS) revert Oracle__UnknownMarket(market);
        _markets[market] = _feed(feed, maxAge);
        emit MarketFeedSet(market, feed, maxAge);
    }

    /// @notice Replaces a collateral asset's feed (owner only).
    function setAssetFeed(uint256 asset, address feed, uint32 maxAge) external onlyOwner {
        if (asset >= _assets.length) revert Oracle__UnknownAsset(asset);
        _assets[asset] = _feed(feed, maxAge);
        emit AssetFeedSet(asset, feed, maxAge);
    }

    /// @notice Sets (or clears, with address 0) the L2 sequencer-uptime feed and its grace period.
    function setSequencerFeed(address feed, uint32 grace) external onlyOwner {
        if (grace > MAX_GRACE) revert Oracle__BadGrace(grace);
        sequencerFeed = AggregatorV3Interface(feed);
        sequencerGrace = grace;
        emit SequencerFeedSet(feed, grace);
    }

    /// @notice Number of collateral assets with a feed.
    function assetCount() external view returns (uint256) {
        return _assets.length;
    }

    /// @notice Current market prices (8 decimals); reverts on any bad round.
    function marketPrices() external view returns (uint64[MARKETS] memory prices) {
        _checkSequencer();
        for (uint256 j = 0; j < MARKETS; j++) prices[j] = _read(_markets[j]);
    }

    /// @notice Current collateral asset prices (8 decimals); reverts on any bad round.
    function assetPrices() external view returns (uint64[] memory prices) {
        _checkSequencer();
        prices = new uint64[](_assets.length);
        for (uint256 i = 0; i < prices.length; i++) prices[i] = _read(_assets[i]);
    }

    function _feed(address aggregator, uint32 maxAge) private view returns (Feed memory) {
        if (aggregator == address(0) || aggregator.code.length == 0) revert Oracle__BadFeed(aggregator);
        if (maxAge < MIN_MAX_AGE || maxAge > MAX_MAX_AGE) revert Oracle__BadMaxAge(maxAge);
        return Feed(AggregatorV3Interface(aggregator), maxAge, AggregatorV3Interface(aggregator).decimals());
    }

    function _read(Feed memory f) private view returns (uint64) {
        (uint80 roundId, int256 answer, , uint256 updatedAt, uint80 answeredInRound) = f.aggregator.latestRoundData();
        if (answer <= 0) revert Oracle__NonPositiveAnswer(address(f.aggregator), answer);
        if (updatedAt == 0 || answeredInRound < roundId) {
            revert Oracle__IncompleteRound(address(f.aggregator), roundId, answeredInRound);
        }
        if (updatedAt > block.timestamp || block.timestamp - updatedAt > f.maxAge) {
            revert Oracle__StaleAnswer(address(f.aggregator), updatedAt, f.maxAge);
        }
        uint256 price = uint256(answer);
        if (f.decimals > PRICE_DECIMALS) price /= 10 ** (f.decimals - PRICE_DECIMALS);
        else if (f.decimals < PRICE_DECIMALS) price *= 10 ** (PRICE_DECIMALS - f.decimals);
        if (price == 0) revert Oracle__NonPositiveAnswer(address(f.aggregator), answer);
        if (price > MAX_PRICE) revert Oracle__PriceTooLarge(address(f.aggregator), price);
        return uint64(price);
    }

    function _checkSequencer() private view {
        AggregatorV3Interface feed = sequencerFeed;
        if (address(feed) == address(0)) return;
        (, int256 answer, uint256 startedAt, , ) = feed.latestRoundData();
        // Chainlink's uptime feed: 0 = up, 1 = down; startedAt = when the status last changed
        // (0, or a time in the future, is not a valid round)
        if (startedAt == 0 || startedAt > block.timestamp) revert Oracle__SequencerRoundInvalid(startedAt);
        if (answer != 0) revert Oracle__SequencerDown();
        if (block.timestamp - startedAt <= sequencerGrace)
            revert Oracle__SequencerGracePeriod(startedAt, sequencerGrace);
    }
}
