// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Types} from "../registry/Types.sol";

/// @title IZkMarginRegistry
/// @notice Errors and events of the registry and of its logic libraries (which emit them through
///         delegatecall, so every event comes from the registry's address).
interface IZkMarginRegistry {
    error Registry__AccountExists(address account);
    error Registry__NotActive(address account);
    error Registry__Challenged(address account);
    error Registry__NoOpenChallenge(address account);
    error Registry__BadRecord(address account);
    error Registry__BadCert(address account);
    error Registry__NotChallengeable(address account);
    error Registry__WrongBond(uint256 sent, uint256 required);
    error Registry__DeadlinePassed(uint256 deadline);
    error Registry__DeadlineNotPassed(uint256 deadline);
    error Registry__ExclusivePeriod(address challenger, uint256 until);
    error Registry__ProofInvalid();
    error Registry__BatchInvalid();
    error Registry__NotLiquidated(address account);
    error Registry__ClaimWindowOver(uint256 until);
    error Registry__NothingToWithdraw();
    error Registry__TransferFailed();
    error Registry__BadParameter(string name);
    error Registry__BoxTooWide(uint256 d, uint256 max);
    error Registry__RatioBelowRequired(uint256 market, uint256 proven, uint256 required);
    /// @notice A calldata value that enters a public signal (a new commitment) is not below the field modulus.
    error Registry__NotInField(uint256 value);
    /// @notice A value field of a public word (collateral value, fee, claim, penalty) is not below 2^120.
    error Registry__ValueTooLarge(uint256 value);
    /// @notice A settlement is not strictly between -2^127 and 2^127.
    error Registry__SettleOutOfRange(int256 settle);
    error Registry__InsufficientCollateral(uint256 asset, uint256 balance, uint256 needed);
    error Registry__UnknownAsset(uint256 asset);
    error Registry__ZeroAmount();
    error Registry__LengthMismatch();
    error Registry__BadAssets();

    event AccountOpened(address indexed account, uint256 commitment);
    event Deposited(address indexed account, uint256 indexed asset, uint256 amount);
    /// @notice A private state transition: only the settled amount and the withdrawal are public.
    event Updated(
        address indexed account,
        uint64 nonce,
        uint256 commitment,
        int256 settle,
        uint256 withdrawAsset,
        uint256 withdrawAmount
    );
    /// @notice The account's new certificate (what the keeper's challenge rule is evaluated against).
    event Certified(address indexed account, uint64 nonce, Types.Cert cert);
    event Challenged(address indexed account, address indexed challenger, Types.ChallengeRecord record);
    event Responded(address indexed account, uint64 nonce, address indexed submitter);
    event Deleveraged(address indexed account, uint64 nonce, uint256 commitment, uint256 fee, address submitter);
    event Liquidated(
        address indexed account,
        address indexed liquidator,
        Types.LiquidationRecord record,
        uint256 bountyValue
    );
    event Claimed(address indexed account, uint256 claimed, uint256 tokens, uint256 paid);
    /// @notice Collateral other than the settlement asset taken at oracle price to cover a loss or fee.
    event LossCovered(address indexed account, uint256 indexed asset, uint256 amount);
    event CreditWithdrawn(address indexed to, uint256 amount);
    event TimingSet(Types.Timing timing);
    event IncentivesSet(Types.Incentives incentives);
    event DeleverageSet(Types.Deleverage deleverage);
    event HaircutsSet(uint64 haircuts);
}
