// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Governed} from "../governance/Governed.sol";
import {IOracleAdapter} from "../interfaces/IOracleAdapter.sol";

/// @title OracleAdapter (v2)
/// @notice Reads Chainlink AggregatorV3Interface feeds for the markets and collateral assets, rejects
///         non-positive, stale and incomplete rounds, honours an optional L2 sequencer-uptime feed with a
///         grace period, and normalises every answer to 8 decimals (< 2^64, the circuits' price width).
///         A feed's decimals are read with every answer, never cached: a feed whose aggregator changes
///         from 18 to 8 decimals is read right on the next call.
/// @dev Governance: the owner is a TimelockController whose minimum delay is at least `requiredDelay()`
///      (Governed); every setter is `onlyGovernance`, so a feed swap is public for the whole delay before
///      it can price anything. `requiredDelay()` is itself a parameter, at least MIN_REQUIRED_DELAY, set
///      only through the timelock (so lowering it waits the current delay) and never above the owner's
///      current delay (a setter that would lock governance out is refused). The deploy sets it to
///      freshness + response window + exclusive period or more, so a trader always has the time to exit.
///      The guardian pause (Governed) gates nothing here: price reads never stop on the guardian's word
///      (traders must always be able to reduce and withdraw); the registry pauses challenges itself.
contract OracleAdapter is Governed, IOracleAdapter {
    /// @notice Number of markets (fixed by the circuits' default instances).
    uint256 public constant MARKETS = 4;
    /// @notice Decimals of every normalised price.
    uint8 public constant PRICE_DECIMALS = 8;
    /// @notice Largest feed decimals accepted (10^36 fits every scaling step).
    uint8 public constant MAX_FEED_DECIMALS = 36;
    uint256 private constant MAX_PRICE = type(uint64).max;
    uint32 public constant MIN_MAX_AGE = 60;
    uint32 public constant MAX_MAX_AGE = 7 days;
    uint32 public constant MAX_GRACE = 1 days;
    /// @notice Lower bound of requiredDelay() (seconds).
    uint256 public constant MIN_REQUIRED_DELAY = 1 days;
    /// @notice Upper bound of requiredDelay() (seconds).
    uint256 public constant MAX_REQUIRED_DELAY = 30 days;
    /// @notice requiredDelay() at deployment (seconds).
    uint256 public constant DEFAULT_REQUIRED_DELAY = 2 days;

    struct Feed {
        AggregatorV3Interface aggregator;
        uint32 maxAge;
    }

    Feed[MARKETS] private _markets;
    Feed[] private _assets;
    AggregatorV3Interface public sequencerFeed;
    uint32 public sequencerGrace;
    uint256 private _requiredDelay = DEFAULT_REQUIRED_DELAY;

    /// @param owner_ the governance timelock (TimelockController)
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
        emit RequiredDelaySet(DEFAULT_REQUIRED_DELAY);
    }

    // ---------------------------------------------------------------- governance

    /// @inheritdoc IOracleAdapter
    function setMarketFeed(uint256 market, address feed, uint32 maxAge) external onlyGovernance {
        if (market >= MARKETS) revert Oracle__UnknownMarket(market);
        _markets[market] = _feed(feed, maxAge);
        emit MarketFeedSet(market, feed, maxAge);
    }

    /// @inheritdoc IOracleAdapter
    function setAssetFeed(uint256 asset, address feed, uint32 maxAge) external onlyGovernance {
        if (asset >= _assets.length) revert Oracle__UnknownAsset(asset);
        _assets[asset] = _feed(feed, maxAge);
        emit AssetFeedSet(asset, feed, maxAge);
    }

    /// @inheritdoc IOracleAdapter
    function setSequencerFeed(address feed, uint32 grace) external onlyGovernance {
        if (grace > MAX_GRACE) revert Oracle__BadGrace(grace);
        if (feed != address(0) && feed.code.length == 0) revert Oracle__BadFeed(feed);
        sequencerFeed = AggregatorV3Interface(feed);
        sequencerGrace = grace;
        emit SequencerFeedSet(feed, grace);
    }

    /// @inheritdoc IOracleAdapter
    /// @dev MIN_REQUIRED_DELAY <= delay <= MAX_REQUIRED_DELAY; the owner's current delay must already
    ///      cover it (Governed__DelayTooShort otherwise), so the change never locks governance out.
    function setRequiredDelay(uint256 delay) external onlyGovernance {
        if (delay < MIN_REQUIRED_DELAY || delay > MAX_REQUIRED_DELAY) revert Oracle__BadRequiredDelay(delay);
        _requiredDelay = delay;
        _requireDelay();
        emit RequiredDelaySet(delay);
    }

    /// @inheritdoc Governed
    function requiredDelay() public view override returns (uint256) {
        return _requiredDelay;
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IOracleAdapter
    function assetCount() external view returns (uint256) {
        return _assets.length;
    }

    /// @inheritdoc IOracleAdapter
    function marketFeed(uint256 market) external view returns (address feed, uint32 maxAge) {
        if (market >= MARKETS) revert Oracle__UnknownMarket(market);
        Feed memory f = _markets[market];
        return (address(f.aggregator), f.maxAge);
    }

    /// @inheritdoc IOracleAdapter
    function assetFeed(uint256 asset) external view returns (address feed, uint32 maxAge) {
        if (asset >= _assets.length) revert Oracle__UnknownAsset(asset);
        Feed memory f = _assets[asset];
        return (address(f.aggregator), f.maxAge);
    }

    /// @inheritdoc IOracleAdapter
    function marketPrices() external view returns (uint64[MARKETS] memory prices) {
        _checkSequencer();
        for (uint256 j = 0; j < MARKETS; j++) prices[j] = _read(_markets[j]);
    }

    /// @inheritdoc IOracleAdapter
    function assetPrices() external view returns (uint64[] memory prices) {
        _checkSequencer();
        prices = new uint64[](_assets.length);
        for (uint256 i = 0; i < prices.length; i++) prices[i] = _read(_assets[i]);
    }

    /// @inheritdoc IOracleAdapter
    function assetPrice(uint256 asset) external view returns (uint64) {
        if (asset >= _assets.length) revert Oracle__UnknownAsset(asset);
        _checkSequencer();
        return _read(_assets[asset]);
    }

    /// @inheritdoc IOracleAdapter
    /// @dev From the uptime feed's latest round (status 0 = up, 1 = down; startedAt = when the status
    ///      last changed) and the round before it. Up since U after being down since D: returns
    ///      U - max(D, t) + grace when U > t, else 0. Still down since D: returns now - max(D, t) + grace
    ///      (the outage so far, and the grace that must follow it). When the previous round is missing or
    ///      was not a "down" round, D is taken as U (only the grace counts). 0 without a sequencer feed.
    ///      Limit: only the latest outage counts; several outages after `t` are undercounted (all but the
    ///      last are ignored), and a reader that needs them all must walk the rounds itself.
    function sequencerDowntimeSince(uint256 t) external view returns (uint256) {
        AggregatorV3Interface feed = sequencerFeed;
        if (address(feed) == address(0)) return 0;
        (uint80 roundId, int256 status, uint256 since, , ) = feed.latestRoundData();
        if (since == 0 || since > block.timestamp) revert Oracle__SequencerRoundInvalid(since);
        uint256 grace = sequencerGrace;
        if (status != 0) {
            uint256 from = _max(since, t);
            return (block.timestamp > from ? block.timestamp - from : 0) + grace;
        }
        if (since <= t) return 0;
        return since - _max(_downSince(feed, roundId, since), t) + grace;
    }

    // ---------------------------------------------------------------- internals

    function _feed(address aggregator, uint32 maxAge) private view returns (Feed memory) {
        if (aggregator == address(0) || aggregator.code.length == 0) revert Oracle__BadFeed(aggregator);
        if (maxAge < MIN_MAX_AGE || maxAge > MAX_MAX_AGE) revert Oracle__BadMaxAge(maxAge);
        uint8 decimals = AggregatorV3Interface(aggregator).decimals();
        if (decimals > MAX_FEED_DECIMALS) revert Oracle__BadDecimals(aggregator, decimals);
        return Feed(AggregatorV3Interface(aggregator), maxAge);
    }

    function _read(Feed memory f) private view returns (uint64) {
        address feed = address(f.aggregator);
        (uint80 roundId, int256 answer, , uint256 updatedAt, uint80 answeredInRound) = f.aggregator.latestRoundData();
        if (answer <= 0) revert Oracle__NonPositiveAnswer(feed, answer);
        if (updatedAt == 0 || answeredInRound < roundId) {
            revert Oracle__IncompleteRound(feed, roundId, answeredInRound);
        }
        if (updatedAt > block.timestamp || block.timestamp - updatedAt > f.maxAge) {
            revert Oracle__StaleAnswer(feed, updatedAt, f.maxAge);
        }
        // decimals read with the answer: an aggregator change behind a proxy may change them
        uint8 decimals = f.aggregator.decimals();
        if (decimals > MAX_FEED_DECIMALS) revert Oracle__BadDecimals(feed, decimals);
        uint256 price = uint256(answer);
        if (decimals > PRICE_DECIMALS) price /= 10 ** (decimals - PRICE_DECIMALS);
        else if (decimals < PRICE_DECIMALS) {
            // a huge answer would overflow the scaling: it is too large anyway
            if (price > MAX_PRICE) revert Oracle__PriceTooLarge(feed, price);
            price *= 10 ** (PRICE_DECIMALS - decimals);
        }
        if (price == 0) revert Oracle__NonPositiveAnswer(feed, answer);
        if (price > MAX_PRICE) revert Oracle__PriceTooLarge(feed, price);
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

    /// @dev Start of the outage that ended at `upSince` (round `roundId`): the previous round's startedAt
    ///      when it was a valid "down" round, else `upSince` itself (unknown: only the grace counts).
    function _downSince(AggregatorV3Interface feed, uint80 roundId, uint256 upSince) private view returns (uint256) {
        if (roundId == 0) return upSince;
        try feed.getRoundData(roundId - 1) returns (uint80, int256 status, uint256 since, uint256, uint80) {
            return status != 0 && since != 0 && since <= upSince ? since : upSince;
        } catch {
            return upSince;
        }
    }

    function _max(uint256 a, uint256 b) private pure returns (uint256) {
        return a > b ? a : b;
    }
}
