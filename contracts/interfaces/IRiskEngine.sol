// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IRiskEngine
/// @notice Errors, events, structs and functions of the zkmargin risk engine: volatility-scaled
///         maintenance and initial margin ratios per market, from an on-chain EWMA of the squared log
///         returns of each market's Chainlink rounds, updated by a permissionless poke.
interface IRiskEngine {
    /// @notice Global risk parameters (governance, within the engine's bounds).
    struct Params {
        uint64 z; // quantile multiplier, WAD (4e18 = 4 standard deviations)
        uint32 tau; // EWMA time constant, seconds: a = exp(-dt / tau)
        uint32 horizon; // T, seconds: response window + exclusive period + liquidation buffer or more
        uint16 imFactorBps; // initial = maintenance x imFactorBps / 10000
        uint16 stepBps; // largest change of a maintenance ratio per poke, basis points (absolute)
    }

    /// @notice Per-market ratio bounds, basis points: minBps <= baseBps <= maxBps.
    struct MarketBounds {
        uint16 baseBps; // maintenance floor of the formula: max(base, z sigma sqrt(T))
        uint16 minBps; // clamp, lower
        uint16 maxBps; // clamp, upper
    }

    /// @notice What the engine keeps per market (the anchor is the last round used).
    struct MarketState {
        address feed; // the adapter's feed the anchor belongs to
        uint80 roundId; // last round id read (used or skipped)
        uint8 decimals; // the feed's decimals when anchored
        uint64 updatedAt; // anchor round's time
        uint128 price; // anchor round's raw answer
        uint128 variance; // EWMA of r^2 / dt, WAD per second
    }

    error RiskEngine__UnknownMarket(uint256 market);
    error RiskEngine__BadParameter(string name, uint256 value);
    error RiskEngine__BadMarketBounds(uint256 market, uint16 baseBps, uint16 minBps, uint16 maxBps);
    error RiskEngine__BadSeedVolatility(uint256 market, uint256 volatility);
    error RiskEngine__BadOracle(address oracle);

    event ParamsSet(uint64 z, uint32 tau, uint32 horizon, uint16 imFactorBps, uint16 stepBps);
    event MarketBoundsSet(uint256 indexed market, uint16 baseBps, uint16 minBps, uint16 maxBps);
    event RequiredDelaySet(uint256 delay);
    /// @notice The anchor moved to a new feed, or to the same feed after its decimals changed (no return
    ///         is taken across the change); the variance is kept.
    event FeedAnchored(uint256 indexed market, address feed, uint80 roundId, uint8 decimals);
    /// @notice A poke read rounds up to `roundId` and used `rounds` of them; `variance` is the new EWMA.
    event Poked(uint256 indexed market, uint80 roundId, uint256 rounds, uint256 variance);
    /// @notice A market's ratios changed; sigma = annualised volatility (WAD) behind them.
    event RatiosChanged(uint256 indexed market, uint16 mm, uint16 im, uint256 sigma);

    /// @notice Reads the market's new Chainlink rounds (at most MAX_ROUNDS), updates its EWMA and moves
    ///         its ratios by at most stepBps towards the target. Permissionless; never reverts for lack
    ///         of new rounds.
    /// @return rounds rounds used in the EWMA
    /// @return changed whether the market's ratios changed
    function poke(uint256 market) external returns (uint256 rounds, bool changed);

    /// @notice poke() of every market.
    /// @return changedMask bit j set when market j's ratios changed
    function pokeAll() external returns (uint256 changedMask);

    /// @notice Sets z, tau, horizon, imFactor and step (governance, after the timelock delay).
    function setParams(Params calldata p) external;

    /// @notice Sets a market's base, min and max maintenance ratios (governance).
    function setMarketBounds(uint256 market, MarketBounds calldata b) external;

    /// @notice Sets the minimum timelock delay this contract demands of its owner (governance).
    function setRequiredDelay(uint256 delay) external;

    /// @notice The oracle adapter whose market feeds are read.
    function oracle() external view returns (address);

    /// @notice Current maintenance and initial ratios (basis points).
    function ratios() external view returns (uint16[4] memory mm, uint16[4] memory im);

    /// @notice The same ratios in one word: mm_j at bits 16j, im_j at bits 64 + 16j.
    function packedRatios() external view returns (uint256);

    /// @notice Global risk parameters.
    function params() external view returns (Params memory);

    /// @notice A market's ratio bounds.
    function marketBounds(uint256 market) external view returns (MarketBounds memory);

    /// @notice A market's anchor and variance.
    function marketState(uint256 market) external view returns (MarketState memory);

    /// @notice The maintenance ratio the formula gives now, before the step limit (basis points).
    function targetMaintenance(uint256 market) external view returns (uint16);

    /// @notice Annualised volatility of a market (WAD): sqrt(variance x 365 days).
    function sigmaAnnual(uint256 market) external view returns (uint256);
}
