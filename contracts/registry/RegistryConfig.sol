// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {PublicInputs} from "./PublicInputs.sol";

/// @title RegistryConfig
/// @notice Risk and protocol parameters, each set by governance (two-step owner) within fixed bounds with
///         an event, and a guardian pause of challenges during an oracle outage; deadlines of open
///         challenges extend by the time spent paused.
abstract contract RegistryConfig is Ownable2Step {
    uint256 public constant MARKETS = 4;

    // Bounds (inclusive) of every governance parameter.
    uint64 public constant MIN_FRESHNESS = 1 hours;
    uint64 public constant MAX_FRESHNESS = 30 days;
    uint64 public constant MIN_RESPONSE_WINDOW = 5 minutes;
    uint64 public constant MAX_RESPONSE_WINDOW = 7 days;
    uint64 public constant MAX_EXCLUSIVE_PERIOD = 1 days;
    uint64 public constant MIN_CLAIM_WINDOW = 1 days;
    uint64 public constant MAX_CLAIM_WINDOW = 180 days;
    uint16 public constant MIN_BAND_BPS = 10;
    uint16 public constant MAX_BAND_BPS = 5_000;
    uint16 public constant MAX_BOUNTY_BPS = 1_000;
    uint16 public constant MAX_PENALTY_BPS = 2_000;
    uint16 public constant MAX_RATIO_BPS = 10_000;
    uint128 public constant MIN_BOND = 1e12;
    uint128 public constant MAX_BOND = 100 ether;

    struct Timing {
        uint64 freshness; // a proof older than this may be challenged
        uint64 responseWindow; // time to answer a challenge
        uint64 exclusivePeriod; // after the deadline, only the challenger may liquidate
        uint64 claimWindow; // time for a liquidated owner to claim equity
    }

    struct Incentives {
        uint128 bond; // wei posted with each challenge
        uint16 bandBps; // a price move beyond this since the last proof makes it stale
        uint16 bountyBps; // keeper bounty as a share of the seized value
        uint16 penaltyBps; // liquidation penalty as a share of the seized value
        uint128 bountyCap; // in value units
    }

    Timing public timing;
    Incentives public incentives;
    uint16[MARKETS] internal _mmBps;
    uint16[MARKETS] internal _imBps;
    /// @notice Poseidon of the maintenance ratios, stored when they are set (part of snapshotHash).
    uint256 public mmHash;

    address public guardian;
    bool public challengesPaused;
    uint64 internal _pausedAt;
    uint64 internal _pausedTotal;

    error Registry__BadParameter(string name);
    error Registry__NotGuardian();
    error Registry__Paused();
    error Registry__NotPaused();

    event TimingSet(uint64 freshness, uint64 responseWindow, uint64 exclusivePeriod, uint64 claimWindow);
    event IncentivesSet(uint128 bond, uint16 bandBps, uint16 bountyBps, uint16 penaltyBps, uint128 bountyCap);
    event RatiosSet(uint16[MARKETS] maintenanceBps, uint16[MARKETS] initialBps, uint256 mmHash);
    event GuardianSet(address guardian);
    event ChallengesPaused(address by);
    event ChallengesUnpaused(address by, uint64 pausedFor);

    /// @notice Sets the protocol's timing parameters (owner).
    function setTiming(Timing calldata t) external onlyOwner {
        _setTiming(t);
    }

    /// @notice Sets bond, price band, bounty and penalty (owner).
    function setIncentives(Incentives calldata i) external onlyOwner {
        _setIncentives(i);
    }

    /// @notice Sets maintenance and initial margin ratios per market (owner): 0 < mm <= im <= 100%.
    function setRatios(uint16[MARKETS] calldata mm, uint16[MARKETS] calldata im) external onlyOwner {
        _setRatios(mm, im);
    }

    function _setTiming(Timing memory t) internal {
        if (t.freshness < MIN_FRESHNESS || t.freshness > MAX_FRESHNESS) revert Registry__BadParameter("freshness");
        if (t.responseWindow < MIN_RESPONSE_WINDOW || t.responseWindow > MAX_RESPONSE_WINDOW) {
            revert Registry__BadParameter("responseWindow");
        }
        if (t.exclusivePeriod > MAX_EXCLUSIVE_PERIOD) revert Registry__BadParameter("exclusivePeriod");
        if (t.claimWindow < MIN_CLAIM_WINDOW || t.claimWindow > MAX_CLAIM_WINDOW)
            revert Registry__BadParameter("claimWindow");
        timing = t;
        emit TimingSet(t.freshness, t.responseWindow, t.exclusivePeriod, t.claimWindow);
    }

    function _setIncentives(Incentives memory i) internal {
        if (i.bond < MIN_BOND || i.bond > MAX_BOND) revert Registry__BadParameter("bond");
        if (i.bandBps < MIN_BAND_BPS || i.bandBps > MAX_BAND_BPS) revert Registry__BadParameter("bandBps");
        if (i.bountyBps > MAX_BOUNTY_BPS) revert Registry__BadParameter("bountyBps");
        if (i.penaltyBps > MAX_PENALTY_BPS) revert Registry__BadParameter("penaltyBps");
        incentives = i;
        emit IncentivesSet(i.bond, i.bandBps, i.bountyBps, i.penaltyBps, i.bountyCap);
    }

    function _setRatios(uint16[MARKETS] memory mm, uint16[MARKETS] memory im) internal {
        for (uint256 j = 0; j < MARKETS; j++) {
            if (mm[j] == 0 || mm[j] > im[j] || im[j] > MAX_RATIO_BPS) revert Registry__BadParameter("ratios");
        }
        _mmBps = mm;
        _imBps = im;
        mmHash = PublicInputs.listHash([uint64(mm[0]), mm[1], mm[2], mm[3]]);
        emit RatiosSet(mm, im, mmHash);
    }

    /// @notice Sets the guardian that may pause challenges (owner).
    function setGuardian(address g) external onlyOwner {
        guardian = g;
        emit GuardianSet(g);
    }

    /// @notice Pauses new challenges and liquidations during an oracle outage (guardian or owner).
    function pauseChallenges() external {
        if (msg.sender != guardian && msg.sender != owner()) revert Registry__NotGuardian();
        if (challengesPaused) revert Registry__Paused();
        challengesPaused = true;
        _pausedAt = uint64(block.timestamp);
        emit ChallengesPaused(msg.sender);
    }

    /// @notice Resumes challenges; open deadlines have moved by the time spent paused.
    function unpauseChallenges() external {
        if (msg.sender != guardian && msg.sender != owner()) revert Registry__NotGuardian();
        if (!challengesPaused) revert Registry__NotPaused();
        uint64 pausedFor = uint64(block.timestamp) - _pausedAt;
        _pausedTotal += pausedFor;
        challengesPaused = false;
        emit ChallengesUnpaused(msg.sender, pausedFor);
    }

    /// @notice Maintenance and initial ratios (basis points).
    function ratios() external view returns (uint16[MARKETS] memory mm, uint16[MARKETS] memory im) {
        return (_mmBps, _imBps);
    }

    /// @notice Total seconds spent paused so far (including an ongoing pause).
    function pauseClock() public view returns (uint64) {
        return _pausedTotal + (challengesPaused ? uint64(block.timestamp) - _pausedAt : 0);
    }

    function _whenNotPaused() internal view {
        if (challengesPaused) revert Registry__Paused();
    }
}
