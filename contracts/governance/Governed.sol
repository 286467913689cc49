// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

/// @notice The part of OpenZeppelin's TimelockController a governed contract reads.
interface IMinDelay {
    function getMinDelay() external view returns (uint256);
}

/// @title Governed
/// @notice Base of every zkmargin contract with parameters: the owner must be a timelock (OpenZeppelin
///         TimelockController) whose minimum delay is at least `requiredDelay()`, checked on every
///         parameter change, so a trader always sees a change queued before it can bite and can exit
///         first. A guardian may only pause, for at most `MAX_PAUSE`, and unpause.
/// @dev Set the timelock as the owner at construction (constructor parameters need no delay: they are
///      public before anyone deposits). `requiredDelay()` returns 0 for contracts with no bound of
///      their own beyond the timelock's.
abstract contract Governed is Ownable2Step {
    /// @notice Longest pause the guardian can impose; it ends by itself.
    uint64 public constant MAX_PAUSE = 3 days;

    /// @notice The deployer may set the first guardian once (constructor parameters need no delay).
    address private immutable _deployer = msg.sender;

    address public guardian;
    /// @notice Paused until this time (0 or a past time: not paused).
    uint64 public pausedUntil;
    uint64 internal _pausedAt;
    /// @notice Total seconds of the pauses before the latest one.
    uint64 internal _pausedTotal;

    error Governed__NotTimelock(address owner);
    error Governed__DelayTooShort(uint256 delay, uint256 required);
    error Governed__NotGuardian(address caller);
    error Governed__Paused(uint64 until);
    error Governed__NotPaused();

    event GuardianSet(address guardian);
    event Paused(address indexed by, uint64 until);
    event Unpaused(address indexed by, uint64 pausedFor);

    /// @dev onlyOwner, and the owner's timelock delay covers requiredDelay().
    modifier onlyGovernance() {
        _checkOwner();
        _requireDelay();
        _;
    }

    modifier whenNotPaused() {
        if (paused()) revert Governed__Paused(pausedUntil);
        _;
    }

    /// @notice Minimum timelock delay this contract needs (seconds).
    function requiredDelay() public view virtual returns (uint256);

    /// @notice Sets the guardian (governance).
    function setGuardian(address g) external onlyGovernance {
        guardian = g;
        emit GuardianSet(g);
    }

    /// @notice Sets the first guardian: the deployer, once, before any guardian is set.
    function initGuardian(address g) external {
        if (msg.sender != _deployer || guardian != address(0)) revert Governed__NotGuardian(msg.sender);
        guardian = g;
        emit GuardianSet(g);
    }

    /// @notice Pauses for `duration` seconds (at most MAX_PAUSE; 0 means MAX_PAUSE): guardian only.
    function pause(uint64 duration) external {
        if (msg.sender != guardian) revert Governed__NotGuardian(msg.sender);
        if (paused()) revert Governed__Paused(pausedUntil);
        if (duration == 0 || duration > MAX_PAUSE) duration = MAX_PAUSE;
        // fold the previous pause (ended early or by itself) into the total
        if (_pausedAt != 0) _pausedTotal += pausedUntil - _pausedAt;
        _pausedAt = uint64(block.timestamp);
        pausedUntil = uint64(block.timestamp) + duration;
        emit Paused(msg.sender, pausedUntil);
    }

    /// @notice Ends a pause early: guardian or governance.
    function unpause() external {
        if (msg.sender != guardian && msg.sender != owner()) revert Governed__NotGuardian(msg.sender);
        if (!paused()) revert Governed__NotPaused();
        pausedUntil = uint64(block.timestamp);
        emit Unpaused(msg.sender, uint64(block.timestamp) - _pausedAt);
    }

    /// @notice Whether a guardian pause is in force.
    function paused() public view returns (bool) {
        return block.timestamp < pausedUntil;
    }

    /// @notice Total seconds spent paused so far (including the current pause); deadlines extend by it.
    function pauseClock() public view returns (uint64) {
        if (_pausedAt == 0) return 0;
        uint64 end = block.timestamp < pausedUntil ? uint64(block.timestamp) : pausedUntil;
        return _pausedTotal + (end - _pausedAt);
    }

    function _requireDelay() internal view {
        uint256 required = requiredDelay();
        (bool ok, bytes memory ret) = owner().staticcall(abi.encodeCall(IMinDelay.getMinDelay, ()));
        if (!ok || ret.length < 32) revert Governed__NotTimelock(owner());
        uint256 delay = abi.decode(ret, (uint256));
        if (delay < required) revert Governed__DelayTooShort(delay, required);
    }
}
