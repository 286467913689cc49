// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

/// @notice TEST ONLY: a Chainlink aggregator whose every round field can be set (Chainlink's own
///         MockV3Aggregator cannot produce incomplete rounds), with a round history for getRoundData,
///         missing rounds (reverting as Chainlink's "No data present", or all zero) and decimals changes
///         (as an aggregator change behind a proxy). Real deployments use Chainlink feeds.
contract TestAggregator is AggregatorV3Interface {
    struct Round {
        int256 answer;
        uint64 startedAt;
        uint64 updatedAt;
        uint80 answeredInRound;
    }

    error TestAggregator__NoDataPresent(uint80 roundId);

    uint8 public override decimals;
    /// @notice The latest round (what latestRoundData returns).
    uint80 public roundId;
    int256 public answer;
    uint256 public startedAt;
    uint256 public updatedAt;
    uint80 public answeredInRound;
    /// @notice Whether getRoundData of a missing round reverts (true) or returns zeros (false).
    bool public revertOnMissing = true;
    mapping(uint80 => Round) private _rounds;

    constructor(uint8 decimals_, int256 answer_) {
        decimals = decimals_;
        setAnswer(answer_);
    }

    /// @notice A complete round at the current time.
    function setAnswer(int256 answer_) public {
        _push(answer_, block.timestamp);
    }

    /// @notice A complete round with the given time (past rounds build a history).
    function pushRound(int256 answer_, uint256 updatedAt_) external {
        _push(answer_, updatedAt_);
    }

    /// @notice Several complete rounds, in order.
    function pushRounds(int256[] calldata answers, uint256[] calldata updatedAts) external {
        for (uint256 i = 0; i < answers.length; i++) _push(answers[i], updatedAts[i]);
    }

    /// @notice Sets the latest round to any fields (and records it in the history under roundId_).
    function setRound(
        uint80 roundId_,
        int256 answer_,
        uint256 startedAt_,
        uint256 updatedAt_,
        uint80 answeredInRound_
    ) external {
        roundId = roundId_;
        answer = answer_;
        startedAt = startedAt_;
        updatedAt = updatedAt_;
        answeredInRound = answeredInRound_;
        _rounds[roundId_] = Round(answer_, uint64(startedAt_), uint64(updatedAt_), answeredInRound_);
    }

    /// @notice Overwrites one past round of the history (any fields).
    function setHistoricRound(
        uint80 roundId_,
        int256 answer_,
        uint256 startedAt_,
        uint256 updatedAt_,
        uint80 answeredInRound_
    ) external {
        _rounds[roundId_] = Round(answer_, uint64(startedAt_), uint64(updatedAt_), answeredInRound_);
    }

    /// @notice Removes a round from the history (getRoundData then finds no data).
    function deleteRound(uint80 roundId_) external {
        delete _rounds[roundId_];
    }

    /// @notice Chooses how a missing round reads: a revert (Chainlink) or all zeros.
    function setRevertOnMissing(bool revertOnMissing_) external {
        revertOnMissing = revertOnMissing_;
    }

    /// @notice Changes the feed's decimals (as a new aggregator behind a proxy would).
    function setDecimals(uint8 decimals_) external {
        decimals = decimals_;
    }

    function description() external pure override returns (string memory) {
        return "zkmargin test aggregator";
    }

    function version() external pure override returns (uint256) {
        return 4;
    }

    function getRoundData(uint80 id) external view override returns (uint80, int256, uint256, uint256, uint80) {
        Round memory r = _rounds[id];
        if (r.updatedAt == 0 && r.startedAt == 0 && r.answer == 0) {
            if (revertOnMissing) revert TestAggregator__NoDataPresent(id);
            return (0, 0, 0, 0, 0);
        }
        return (id, r.answer, r.startedAt, r.updatedAt, r.answeredInRound);
    }

    function latestRoundData() external view override returns (uint80, int256, uint256, uint256, uint80) {
        return (roundId, answer, startedAt, updatedAt, answeredInRound);
    }

    function _push(int256 answer_, uint256 updatedAt_) private {
        roundId += 1;
        answer = answer_;
        startedAt = updatedAt_;
        updatedAt = updatedAt_;
        answeredInRound = roundId;
        _rounds[roundId] = Round(answer_, uint64(updatedAt_), uint64(updatedAt_), roundId);
    }
}
