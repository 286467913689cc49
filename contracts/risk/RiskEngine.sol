// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {FixedPointMathLib as FPM} from "solady/src/utils/FixedPointMathLib.sol";
import {Governed} from "../governance/Governed.sol";
import {IOracleAdapter} from "../interfaces/IOracleAdapter.sol";
import {IRiskEngine} from "../interfaces/IRiskEngine.sol";

/// @title RiskEngine
/// @notice Volatility-scaled margin ("margin covers the window"): per market, an EWMA of squared log
///         returns per unit time of the market's Chainlink rounds, and from it
///           maintenance_j = clamp(max(base_j, z x sigma_j x sqrt(T)), min_j, max_j)   (basis points)
///           initial_j     = min(10000, ceil(maintenance_j x imFactor / 10000))
///         with T = `horizon`. The registry reads `ratios()` / `packedRatios()`; a poke never calls it.
/// @dev EWMA (time-consistent, one observation per used round; all WAD fixed point, Solady's
///      FixedPointMathLib for ln, exp and sqrt):
///        r   = clamp(lnWad(p1 x 1e18 / p0), -1e18, 1e18)          (log return, |r| <= 1)
///        obs = r^2 / dt                       = floor(r x r / (1e18 x dt))     (WAD per second)
///        a   = expWad(-floor(dt x 1e18 / tau))
///        var = floor((a x var + (1e18 - a) x obs) / 1e18)
///      with dt = updatedAt1 - updatedAt0 >= 1 s. A same-price (heartbeat) round gives r = 0 and lets the
///      variance decay by a; a missing round (getRoundData reverts, or returns a zero/other id), an
///      incomplete one, a non-positive answer, an answer >= 2^128, and a round not newer than the anchor
///      (updatedAt <= anchor's, or in the future) are skipped without touching the anchor, so the price
///      move they hide is counted by the next used round. At most MAX_ROUNDS rounds are read per poke:
///      when more are pending only the newest MAX_ROUNDS are read, the first return then spanning the
///      gap from the anchor (the ratios are always current after one poke; a Chainlink phase change,
///      whose round ids jump by 2^64, is handled the same way). The anchor moves to the latest round of
///      a new feed (a timelocked swap in the adapter) or after a decimals change, with no return taken
///      across the change. A long gap between rounds (dt >> tau) leaves little of the old variance: the
///      return across it weighs 1 - exp(-dt / tau). Pokes cannot steer the estimate: only the feed's
///      rounds enter it, and the poke's timing matters only when more than MAX_ROUNDS are pending.
///
///      Ratios: a poke that used at least one round moves maintenance towards the formula's target by at
///      most `stepBps` basis points (absolute, both ways); a poke with no new round moves nothing (so
///      repeating pokes cannot bypass the step). Initial margin follows maintenance (it moves by at most
///      ceil(stepBps x imFactor / 10000)). Governance changes of imFactor or of a market's bounds apply
///      at once (re-derived initial, maintenance clamped into the new [min, max]); z, tau, horizon and
///      base bite through later pokes, step by step.
///
///      Horizon: T must be at least the registry's response window + exclusive period + a liquidation
///      buffer (the time for the liquidation to land after the exclusive period); the deploy checks it,
///      as the engine does not know the registry's timing.
///
///      Governance: owner = TimelockController with delay >= requiredDelay() (Governed); requiredDelay()
///      is a parameter >= MIN_REQUIRED_DELAY, set only through the timelock and never above its current
///      delay. The guardian may pause pokes (at most MAX_PAUSE) during a feed incident: the ratios stay
///      as they are; the next poke after the pause reads the newest MAX_ROUNDS rounds.
contract RiskEngine is Governed, IRiskEngine {
    uint256 public constant MARKETS = 4;
    /// @notice Most rounds read per market and poke.
    uint256 public constant MAX_ROUNDS = 32;
    uint256 private constant WAD = 1e18;
    uint256 private constant YEAR = 365 days;
    uint256 private constant BPS = 10_000;
    /// @notice Largest |log return| of one round (a move beyond e or 1/e counts as e or 1/e).
    int256 public constant MAX_LOG_RETURN = 1e18;
    /// @dev floor(exp(-1) x 1e18): ratios below it are clamped to r = -1 without calling lnWad.
    uint256 private constant EXP_MINUS_ONE_WAD = 367879441171442321;

    // Bounds (inclusive) of the governance parameters.
    uint64 public constant MIN_Z = 2e18;
    uint64 public constant MAX_Z = 10e18;
    uint32 public constant MIN_TAU = 1 hours;
    uint32 public constant MAX_TAU = 30 days;
    uint32 public constant MIN_HORIZON = 5 minutes;
    uint32 public constant MAX_HORIZON = 9 days;
    uint16 public constant MIN_IM_FACTOR_BPS = 10_000;
    uint16 public constant MAX_IM_FACTOR_BPS = 50_000;
    uint16 public constant MIN_STEP_BPS = 1;
    uint16 public constant MAX_STEP_BPS = 1_000;
    uint16 public constant MIN_RATIO_BPS = 10;
    uint16 public constant MAX_RATIO_BPS = 10_000;
    /// @notice Largest seed volatility at deployment (annualised, WAD: 1000%).
    uint256 public constant MAX_SEED_VOLATILITY = 10e18;
    uint256 public constant MIN_REQUIRED_DELAY = 1 days;
    uint256 public constant MAX_REQUIRED_DELAY = 30 days;
    uint256 public constant DEFAULT_REQUIRED_DELAY = 2 days;

    IOracleAdapter private immutable _oracle;
    Params private _params;
    MarketBounds[MARKETS] private _bounds;
    MarketState[MARKETS] private _state;
    /// @dev mm_j at bits 16j, im_j at bits 64 + 16j.
    uint256 private _packed;
    uint256 private _requiredDelay = DEFAULT_REQUIRED_DELAY;

    /// @param owner_ the governance timelock (TimelockController)
    /// @param oracle_ the oracle adapter whose market feeds are read
    /// @param p global parameters
    /// @param bounds per-market ratio bounds
    /// @param seedVolatility per-market annualised volatility (WAD) the EWMA starts from
    constructor(
        address owner_,
        address oracle_,
        Params memory p,
        MarketBounds[MARKETS] memory bounds,
        uint256[MARKETS] memory seedVolatility
    ) Ownable(owner_) {
        if (oracle_.code.length == 0) revert RiskEngine__BadOracle(oracle_);
        _oracle = IOracleAdapter(oracle_);
        _checkParams(p);
        _params = p;
        emit ParamsSet(p.z, p.tau, p.horizon, p.imFactorBps, p.stepBps);
        emit RequiredDelaySet(DEFAULT_REQUIRED_DELAY);
        uint256 packed;
        for (uint256 j = 0; j < MARKETS; j++) {
            _checkBounds(j, bounds[j]);
            _bounds[j] = bounds[j];
            emit MarketBoundsSet(j, bounds[j].baseBps, bounds[j].minBps, bounds[j].maxBps);
            if (seedVolatility[j] > MAX_SEED_VOLATILITY) revert RiskEngine__BadSeedVolatility(j, seedVolatility[j]);
            uint256 v = (seedVolatility[j] * seedVolatility[j]) / WAD / YEAR;
            _state[j].variance = uint128(v);
            (address feed, ) = IOracleAdapter(oracle_).marketFeed(j);
            _anchor(j, feed, AggregatorV3Interface(feed).decimals());
            uint16 mm = _target(v, p, bounds[j]);
            uint16 im = _initial(mm, p.imFactorBps);
            packed |= (uint256(mm) << (16 * j)) | (uint256(im) << (64 + 16 * j));
            emit RatiosChanged(j, mm, im, _sigmaAnnual(v));
        }
        _packed = packed;
    }

    // ---------------------------------------------------------------- pokes

    /// @inheritdoc IRiskEngine
    function poke(uint256 market) external whenNotPaused returns (uint256 rounds, bool changed) {
        if (market >= MARKETS) revert RiskEngine__UnknownMarket(market);
        return _poke(market);
    }

    /// @inheritdoc IRiskEngine
    function pokeAll() external whenNotPaused returns (uint256 changedMask) {
        for (uint256 j = 0; j < MARKETS; j++) {
            (, bool changed) = _poke(j);
            if (changed) changedMask |= 1 << j;
        }
    }

    // ---------------------------------------------------------------- governance

    /// @inheritdoc IRiskEngine
    function setParams(Params calldata p) external onlyGovernance {
        _checkParams(p);
        _params = p;
        emit ParamsSet(p.z, p.tau, p.horizon, p.imFactorBps, p.stepBps);
        for (uint256 j = 0; j < MARKETS; j++) _reclamp(j);
    }

    /// @inheritdoc IRiskEngine
    function setMarketBounds(uint256 market, MarketBounds calldata b) external onlyGovernance {
        if (market >= MARKETS) revert RiskEngine__UnknownMarket(market);
        _checkBounds(market, b);
        _bounds[market] = b;
        emit MarketBoundsSet(market, b.baseBps, b.minBps, b.maxBps);
        _reclamp(market);
    }

    /// @inheritdoc IRiskEngine
    /// @dev MIN_REQUIRED_DELAY <= delay <= MAX_REQUIRED_DELAY; the owner's current delay must already
    ///      cover it (Governed__DelayTooShort otherwise), so the change never locks governance out.
    function setRequiredDelay(uint256 delay) external onlyGovernance {
        if (delay < MIN_REQUIRED_DELAY || delay > MAX_REQUIRED_DELAY) {
            revert RiskEngine__BadParameter("requiredDelay", delay);
        }
        _requiredDelay = delay;
        _requireDelay();
        emit RequiredDelaySet(delay);
    }

    /// @inheritdoc Governed
    function requiredDelay() public view override returns (uint256) {
        return _requiredDelay;
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IRiskEngine
    function oracle() external view returns (address) {
        return address(_oracle);
    }

    /// @inheritdoc IRiskEngine
    function ratios() external view returns (uint16[MARKETS] memory mm, uint16[MARKETS] memory im) {
        uint256 packed = _packed;
        for (uint256 j = 0; j < MARKETS; j++) {
            mm[j] = uint16(packed >> (16 * j));
            im[j] = uint16(packed >> (64 + 16 * j));
        }
    }

    /// @inheritdoc IRiskEngine
    function packedRatios() external view returns (uint256) {
        return _packed;
    }

    /// @inheritdoc IRiskEngine
    function params() external view returns (Params memory) {
        return _params;
    }

    /// @inheritdoc IRiskEngine
    function marketBounds(uint256 market) external view returns (MarketBounds memory) {
        if (market >= MARKETS) revert RiskEngine__UnknownMarket(market);
        return _bounds[market];
    }

    /// @inheritdoc IRiskEngine
    function marketState(uint256 market) external view returns (MarketState memory) {
        if (market >= MARKETS) revert RiskEngine__UnknownMarket(market);
        return _state[market];
    }

    /// @inheritdoc IRiskEngine
    function targetMaintenance(uint256 market) external view returns (uint16) {
        if (market >= MARKETS) revert RiskEngine__UnknownMarket(market);
        return _target(_state[market].variance, _params, _bounds[market]);
    }

    /// @inheritdoc IRiskEngine
    function sigmaAnnual(uint256 market) external view returns (uint256) {
        if (market >= MARKETS) revert RiskEngine__UnknownMarket(market);
        return _sigmaAnnual(_state[market].variance);
    }

    // ---------------------------------------------------------------- internals

    /// @dev EWMA accumulator of one poke: variance, anchor price and time, rounds used.
    struct Walk {
        uint256 v;
        uint256 p0;
        uint256 t0;
        uint256 used;
    }

    function _poke(uint256 j) private returns (uint256, bool changed) {
        (address feedAddr, ) = _oracle.marketFeed(j);
        uint8 decimals = AggregatorV3Interface(feedAddr).decimals();
        MarketState memory s = _state[j];
        if (feedAddr != s.feed || decimals != s.decimals) {
            _anchor(j, feedAddr, decimals);
            return (0, false);
        }
        Params memory p = _params;
        (uint80 latestId, Walk memory w) = _walk(AggregatorV3Interface(feedAddr), s, p.tau);
        if (latestId <= s.roundId) return (0, false);
        _state[j].roundId = latestId;
        if (w.used > 0) {
            _state[j].price = uint128(w.p0);
            _state[j].updatedAt = uint64(w.t0);
            _state[j].variance = uint128(w.v);
            changed = _move(j, w.v, p);
        }
        emit Poked(j, latestId, w.used, w.v);
        return (w.used, changed);
    }

    /// @dev Reads the rounds after the anchor (the newest MAX_ROUNDS at most) through the EWMA.
    function _walk(
        AggregatorV3Interface feed,
        MarketState memory s,
        uint256 tau
    ) private view returns (uint80 latestId, Walk memory w) {
        int256 answer;
        uint256 updatedAt;
        uint80 answered;
        (latestId, answer, , updatedAt, answered) = feed.latestRoundData();
        w = Walk(s.variance, s.price, s.updatedAt, 0);
        if (latestId <= s.roundId) return (latestId, w);
        uint256 from = latestId - s.roundId > MAX_ROUNDS ? latestId - MAX_ROUNDS + 1 : uint256(s.roundId) + 1;
        for (uint256 id = from; id < latestId; id++) {
            (bool ok, uint256 p1, uint256 t1) = _historic(feed, uint80(id), w.t0);
            if (ok) _step(w, p1, t1, tau);
        }
        (bool okLatest, uint256 pLatest, uint256 tLatest) = _valid(
            latestId,
            latestId,
            answer,
            updatedAt,
            answered,
            w.t0
        );
        if (okLatest) _step(w, pLatest, tLatest, tau);
    }

    function _step(Walk memory w, uint256 p1, uint256 t1, uint256 tau) private pure {
        w.v = _ewma(w.v, w.p0, p1, t1 - w.t0, tau);
        w.p0 = p1;
        w.t0 = t1;
        w.used++;
    }

    /// @dev A past round through getRoundData, or not ok when it is missing or unusable.
    function _historic(
        AggregatorV3Interface feed,
        uint80 id,
        uint256 t0
    ) private view returns (bool, uint256, uint256) {
        try feed.getRoundData(id) returns (uint80 rid, int256 answer, uint256, uint256 updatedAt, uint80 answered) {
            return _valid(id, rid, answer, updatedAt, answered, t0);
        } catch {
            return (false, 0, 0);
        }
    }

    /// @dev A round is used when it is the asked one, complete, positive, < 2^128 and newer than the anchor.
    function _valid(
        uint256 id,
        uint80 rid,
        int256 answer,
        uint256 updatedAt,
        uint80 answered,
        uint256 t0
    ) private view returns (bool, uint256, uint256) {
        if (rid != id || answered < rid || answer <= 0 || uint256(answer) > type(uint128).max) return (false, 0, 0);
        if (updatedAt <= t0 || updatedAt > block.timestamp) return (false, 0, 0);
        return (true, uint256(answer), updatedAt);
    }

    /// @dev One EWMA step (see the contract's notes): p0, p1 > 0 raw answers, dt >= 1 s, tau >= MIN_TAU.
    function _ewma(uint256 v, uint256 p0, uint256 p1, uint256 dt, uint256 tau) private pure returns (uint256) {
        uint256 x = (p1 * WAD) / p0;
        int256 r;
        if (x <= EXP_MINUS_ONE_WAD) r = -MAX_LOG_RETURN;
        else {
            r = FPM.lnWad(int256(x));
            if (r > MAX_LOG_RETURN) r = MAX_LOG_RETURN;
            else if (r < -MAX_LOG_RETURN) r = -MAX_LOG_RETURN;
        }
        uint256 r2 = uint256(r * r); // <= 1e36
        uint256 obs = r2 / (WAD * dt);
        uint256 a = uint256(FPM.expWad(-int256((dt * WAD) / tau)));
        if (a > WAD) a = WAD;
        return (a * v + (WAD - a) * obs) / WAD;
    }

    /// @dev Maintenance target: clamp(max(base, ceil(z sigma sqrt(T) x 10000)), min, max).
    function _target(uint256 v, Params memory p, MarketBounds memory b) private pure returns (uint16) {
        uint256 s = FPM.sqrt(v * p.horizon * WAD); // sigma x sqrt(T), WAD
        uint256 vol = (uint256(p.z) * s * BPS + WAD * WAD - 1) / (WAD * WAD);
        uint256 mm = vol > b.baseBps ? vol : b.baseBps;
        if (mm < b.minBps) mm = b.minBps;
        if (mm > b.maxBps) mm = b.maxBps;
        return uint16(mm);
    }

    function _initial(uint16 mm, uint16 imFactorBps) private pure returns (uint16) {
        uint256 im = (uint256(mm) * imFactorBps + BPS - 1) / BPS;
        return uint16(im > MAX_RATIO_BPS ? MAX_RATIO_BPS : im);
    }

    /// @dev Moves market j's maintenance towards its target by at most stepBps; re-derives initial.
    function _move(uint256 j, uint256 v, Params memory p) private returns (bool) {
        uint256 old = uint16(_packed >> (16 * j));
        uint256 target = _target(v, p, _bounds[j]);
        uint256 mm = target;
        if (target > old + p.stepBps) mm = old + p.stepBps;
        else if (target + p.stepBps < old) mm = old - p.stepBps;
        return _store(j, uint16(mm), v);
    }

    /// @dev After a governance change: maintenance clamped into [min, max], initial re-derived.
    function _reclamp(uint256 j) private {
        MarketBounds memory b = _bounds[j];
        uint16 mm = uint16(_packed >> (16 * j));
        if (mm < b.minBps) mm = b.minBps;
        if (mm > b.maxBps) mm = b.maxBps;
        _store(j, mm, _state[j].variance);
    }

    function _store(uint256 j, uint16 mm, uint256 v) private returns (bool) {
        uint16 im = _initial(mm, _params.imFactorBps);
        uint256 packed = _packed;
        uint256 mask = (uint256(0xffff) << (16 * j)) | (uint256(0xffff) << (64 + 16 * j));
        uint256 next = (packed & ~mask) | (uint256(mm) << (16 * j)) | (uint256(im) << (64 + 16 * j));
        if (next == packed) return false;
        _packed = next;
        emit RatiosChanged(j, mm, im, _sigmaAnnual(v));
        return true;
    }

    /// @dev Anchors market j at its feed's latest round when it is usable (else the next poke tries again).
    function _anchor(uint256 j, address feed, uint8 decimals) private {
        (uint80 id, int256 answer, , uint256 updatedAt, uint80 answered) = AggregatorV3Interface(feed)
            .latestRoundData();
        (bool ok, uint256 price, ) = _valid(id, id, answer, updatedAt, answered, 0);
        if (!ok) return;
        MarketState storage s = _state[j];
        s.feed = feed;
        s.decimals = decimals;
        s.roundId = id;
        s.price = uint128(price);
        s.updatedAt = uint64(updatedAt);
        emit FeedAnchored(j, feed, id, decimals);
    }

    function _sigmaAnnual(uint256 v) private pure returns (uint256) {
        return FPM.sqrt(v * YEAR * WAD);
    }

    function _checkParams(Params memory p) private pure {
        if (p.z < MIN_Z || p.z > MAX_Z) revert RiskEngine__BadParameter("z", p.z);
        if (p.tau < MIN_TAU || p.tau > MAX_TAU) revert RiskEngine__BadParameter("tau", p.tau);
        if (p.horizon < MIN_HORIZON || p.horizon > MAX_HORIZON) revert RiskEngine__BadParameter("horizon", p.horizon);
        if (p.imFactorBps < MIN_IM_FACTOR_BPS || p.imFactorBps > MAX_IM_FACTOR_BPS) {
            revert RiskEngine__BadParameter("imFactorBps", p.imFactorBps);
        }
        if (p.stepBps < MIN_STEP_BPS || p.stepBps > MAX_STEP_BPS) {
            revert RiskEngine__BadParameter("stepBps", p.stepBps);
        }
    }

    function _checkBounds(uint256 j, MarketBounds memory b) private pure {
        if (b.minBps < MIN_RATIO_BPS || b.minBps > b.baseBps || b.baseBps > b.maxBps || b.maxBps > MAX_RATIO_BPS) {
            revert RiskEngine__BadMarketBounds(j, b.baseBps, b.minBps, b.maxBps);
        }
    }
}
