// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IInsuranceFund
/// @notice The insurance fund: an ERC-4626 vault of the settlement asset that pays gains, claims, bounties
///         and tips, records what it cannot pay in a FIFO deficit ledger, and lets liquidity providers
///         leave only after a cooldown and only while nothing is owed. Its errors, events and structs.
interface IInsuranceFund {
    /// @notice One deficit: `amount` was owed to `creditor` when recorded, `repaid` of it has been paid.
    struct Entry {
        address creditor;
        uint128 amount;
        uint128 repaid;
    }

    /// @notice A pending withdrawal: `shares` locked, redeemable in [readyAt, expiresAt].
    struct RedeemRequest {
        uint128 shares;
        uint64 readyAt;
        uint64 expiresAt;
    }

    error InsuranceFund__NotDeployer(address caller);
    error InsuranceFund__AlreadyInitialized();
    error InsuranceFund__ZeroAddress();
    error InsuranceFund__NoCode(address account);
    error InsuranceFund__NotPayer(address caller);
    error InsuranceFund__BadParameter(string name, uint256 value);
    error InsuranceFund__WithdrawalsBlockedWhileOwed(uint256 totalOwed);
    error InsuranceFund__NoRedeemRequest(address owner);
    error InsuranceFund__CooldownActive(uint64 readyAt);
    error InsuranceFund__RedeemRequestExpired(uint64 expiresAt);
    error InsuranceFund__InsufficientShares(uint256 balance, uint256 requested);
    error InsuranceFund__SharesLocked(address owner, uint256 locked);
    error InsuranceFund__NavUnavailable();
    error InsuranceFund__NothingClaimable(address creditor);
    error InsuranceFund__AmountTooLarge(uint256 amount);

    /// @notice Payers set (once).
    event Initialized(address registry, address auctionHouse);
    event CooldownSet(uint64 cooldown, uint64 redeemWindow);
    /// @notice `paid` of the `requested` amount went to `to` now (a payer's pay or payUpTo).
    event Paid(address indexed payer, address indexed to, uint256 paid, uint256 requested);
    /// @notice Ledger entry `index` records `amount` owed to `creditor`.
    event Owed(uint256 indexed index, address indexed creditor, uint256 amount);
    /// @notice `amount` of entry `index` was repaid to `creditor`; `remaining` is still owed on it.
    event Repaid(uint256 indexed index, address indexed creditor, uint256 amount, uint256 remaining);
    /// @notice A repayment the creditor's address refused (e.g. a token blacklist) waits for `claim`.
    event RepaymentHeld(uint256 indexed index, address indexed creditor, uint256 amount);
    event Claimed(address indexed creditor, address indexed to, uint256 amount);
    event RedeemRequested(address indexed owner, uint256 shares, uint64 readyAt, uint64 expiresAt);
    event RedeemCancelled(address indexed owner);

    /// @notice Sets the payers (registry and auction house), once, by the deployer.
    function initialize(address registry, address auctionHouse) external;

    /// @notice Pays min(amount, available()) to `to` and records the rest as owed to `creditor` (payers).
    function pay(address to, uint256 amount, address creditor) external returns (uint256 paid);

    /// @notice Pays at most available() to `to` and records nothing (payers; tips and bounties).
    function payUpTo(address to, uint256 amount) external returns (uint256 paid);

    /// @notice Repays up to `n` ledger entries in order from the balance (anyone).
    function repay(uint256 n) external returns (uint256 repaid);

    /// @notice Sends a repayment held for the caller (its address refused the transfer) to `to`.
    function claim(address to) external returns (uint256 amount);

    /// @notice Locks `shares` of the caller for a withdrawal after the cooldown (replaces any request).
    function requestRedeem(uint256 shares) external;

    /// @notice Cancels the caller's withdrawal request and unlocks its shares.
    function cancelRedeem() external;

    /// @notice Settlement balance not reserved for what is owed or held (never negative).
    function available() external view returns (uint256);

    function totalOwed() external view returns (uint256);

    function totalHeld() external view returns (uint256);

    function owedOf(address creditor) external view returns (uint256);

    function heldFor(address creditor) external view returns (uint256);

    function ledgerLength() external view returns (uint256);

    function ledgerHead() external view returns (uint256);

    function entry(uint256 index) external view returns (Entry memory);

    function redeemRequest(address owner) external view returns (RedeemRequest memory);

    /// @notice Shares of `owner` that cannot be transferred (an unexpired withdrawal request).
    function lockedShares(address owner) external view returns (uint256);

    function cooldown() external view returns (uint64);

    function redeemWindow() external view returns (uint64);
}
