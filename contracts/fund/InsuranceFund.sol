// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Governed} from "../governance/Governed.sol";
import {IInsuranceFund} from "../interfaces/IInsuranceFund.sol";
import {IAuctionHouse} from "../interfaces/IAuctionHouse.sol";

/// @title InsuranceFund
/// @notice ERC-4626 vault of the settlement asset backing zkmargin. It receives trader losses, fees,
///         penalties and auction proceeds as plain transfers, and pays gains, claims, bounties and tips
///         for its payers (the registry and the auction house). What it cannot pay now is recorded in a
///         FIFO deficit ledger and repaid first: `available()` excludes everything owed, so no new
///         payment goes ahead of an old debt, and no liquidity provider leaves while anything is owed.
///
///         NAV (`totalAssets`) = settlement balance + the auction house's open lots at oracle x haircut
///         - owed - held repayments, floored at 0. Withdrawals are two-step: `requestRedeem` locks shares,
///         and ERC-4626 `redeem`/`withdraw` complete it between `readyAt` (request + cooldown) and
///         `expiresAt` (readyAt + redeemWindow), at the NAV of that moment. docs/fund.md explains why.
///
/// @dev Inflation attack: OpenZeppelin's virtual shares and assets with `_decimalsOffset() = 6`. The
///      first depositor's shares are priced against 10^6 virtual shares backed by 1 virtual asset unit,
///      so a donation made to inflate the share price is shared with the virtual shares: an attacker who
///      donates D to round a victim's deposit down loses most of D, and the victim's rounding loss is at
///      most about 10^-6 of a share's worth. Shares have asset decimals + 6. (A dead-shares seed would
///      need the deployer to fund it and still leaves the first block open; the offset costs nothing.)
contract InsuranceFund is IInsuranceFund, ERC4626, Governed, ReentrancyGuard {
    using SafeERC20 for IERC20;

    uint8 public constant DECIMALS_OFFSET = 6;
    uint64 public constant MIN_COOLDOWN = 1 hours;
    uint64 public constant MAX_COOLDOWN = 30 days;
    uint64 public constant MIN_REDEEM_WINDOW = 1 hours;
    uint64 public constant MAX_REDEEM_WINDOW = 7 days;

    address private immutable _deployer;
    address public registry;
    address public auctionHouse;

    /// @notice Seconds between a withdrawal request and its earliest completion.
    uint64 public cooldown;
    /// @notice Seconds a ready withdrawal request stays redeemable.
    uint64 public redeemWindow;

    /// @notice Sum of what the ledger still owes.
    uint256 public totalOwed;
    /// @notice Repayments refused by their creditors' addresses, kept for `claim`.
    uint256 public totalHeld;
    mapping(address creditor => uint256) private _owedOf;
    mapping(address creditor => uint256) private _heldFor;
    Entry[] private _ledger;
    uint256 private _head;

    mapping(address owner => RedeemRequest) private _requests;

    modifier onlyPayer() {
        if (msg.sender != registry && msg.sender != auctionHouse) revert InsuranceFund__NotPayer(msg.sender);
        _;
    }

    /// @param asset_ the settlement asset
    /// @param owner_ the timelock (TimelockController) that governs the fund
    /// @param cooldown_ seconds between a withdrawal request and its earliest completion
    /// @param redeemWindow_ seconds a ready request stays redeemable
    constructor(
        IERC20 asset_,
        string memory name_,
        string memory symbol_,
        address owner_,
        uint64 cooldown_,
        uint64 redeemWindow_
    ) ERC20(name_, symbol_) ERC4626(asset_) Ownable(owner_) {
        _deployer = msg.sender;
        _setCooldown(cooldown_, redeemWindow_);
    }

    /// @inheritdoc IInsuranceFund
    function initialize(address registry_, address auctionHouse_) external {
        if (msg.sender != _deployer) revert InsuranceFund__NotDeployer(msg.sender);
        if (registry != address(0)) revert InsuranceFund__AlreadyInitialized();
        if (registry_ == address(0) || auctionHouse_ == address(0)) revert InsuranceFund__ZeroAddress();
        // NAV calls the house under try/catch, which cannot catch a call to an address without code
        if (auctionHouse_.code.length == 0) revert InsuranceFund__NoCode(auctionHouse_);
        registry = registry_;
        auctionHouse = auctionHouse_;
        emit Initialized(registry_, auctionHouse_);
    }

    /// @notice Sets the withdrawal cooldown and redeem window (governance, within the MIN/MAX bounds).
    ///         Requests already made keep the times they were given.
    function setCooldown(uint64 cooldown_, uint64 redeemWindow_) external onlyGovernance {
        _setCooldown(cooldown_, redeemWindow_);
    }

    /// @notice A change must wait at least one cooldown, so an LP can request and leave before it bites.
    function requiredDelay() public view override returns (uint256) {
        return cooldown;
    }

    // ---------------------------------------------------------------- payments and the deficit ledger

    /// @inheritdoc IInsuranceFund
    function pay(address to, uint256 amount, address creditor) external onlyPayer nonReentrant returns (uint256 paid) {
        if (to == address(0) || creditor == address(0)) revert InsuranceFund__ZeroAddress();
        uint256 free = available();
        paid = amount < free ? amount : free;
        uint256 rest = amount - paid;
        if (rest > 0) {
            if (rest > type(uint128).max) revert InsuranceFund__AmountTooLarge(rest);
            _ledger.push(Entry(creditor, uint128(rest), 0));
            _owedOf[creditor] += rest;
            totalOwed += rest;
            emit Owed(_ledger.length - 1, creditor, rest);
        }
        emit Paid(msg.sender, to, paid, amount);
        if (paid > 0) IERC20(asset()).safeTransfer(to, paid);
    }

    /// @inheritdoc IInsuranceFund
    function payUpTo(address to, uint256 amount) external onlyPayer nonReentrant returns (uint256 paid) {
        if (to == address(0)) revert InsuranceFund__ZeroAddress();
        uint256 free = available();
        paid = amount < free ? amount : free;
        emit Paid(msg.sender, to, paid, amount);
        if (paid > 0) IERC20(asset()).safeTransfer(to, paid);
    }

    /// @inheritdoc IInsuranceFund
    /// @dev Pays from the balance not already held for refused repayments. A creditor whose address
    ///      refuses the transfer cannot stall the queue: its repayment is held for `claim` instead.
    function repay(uint256 n) external nonReentrant returns (uint256 repaid) {
        IERC20 token = IERC20(asset());
        uint256 balance = token.balanceOf(address(this));
        uint256 cash = balance > totalHeld ? balance - totalHeld : 0;
        uint256 head = _head;
        uint256 end = _ledger.length;
        for (; n > 0 && head < end && cash > 0; n--) {
            Entry storage e = _ledger[head];
            uint256 due = e.amount - e.repaid;
            uint256 amount = due < cash ? due : cash;
            e.repaid += uint128(amount);
            cash -= amount;
            repaid += amount;
            address creditor = e.creditor;
            _owedOf[creditor] -= amount;
            totalOwed -= amount;
            emit Repaid(head, creditor, amount, due - amount);
            if (!token.trySafeTransfer(creditor, amount)) {
                _heldFor[creditor] += amount;
                totalHeld += amount;
                emit RepaymentHeld(head, creditor, amount);
            }
            if (amount == due) head++;
        }
        _head = head;
    }

    /// @inheritdoc IInsuranceFund
    function claim(address to) external nonReentrant returns (uint256 amount) {
        if (to == address(0)) revert InsuranceFund__ZeroAddress();
        amount = _heldFor[msg.sender];
        if (amount == 0) revert InsuranceFund__NothingClaimable(msg.sender);
        _heldFor[msg.sender] = 0;
        totalHeld -= amount;
        emit Claimed(msg.sender, to, amount);
        IERC20(asset()).safeTransfer(to, amount);
    }

    /// @inheritdoc IInsuranceFund
    function available() public view returns (uint256) {
        uint256 balance = IERC20(asset()).balanceOf(address(this));
        uint256 reserved = totalOwed + totalHeld;
        return balance > reserved ? balance - reserved : 0;
    }

    /// @inheritdoc IInsuranceFund
    function owedOf(address creditor) external view returns (uint256) {
        return _owedOf[creditor];
    }

    /// @inheritdoc IInsuranceFund
    function heldFor(address creditor) external view returns (uint256) {
        return _heldFor[creditor];
    }

    /// @inheritdoc IInsuranceFund
    function ledgerLength() external view returns (uint256) {
        return _ledger.length;
    }

    /// @inheritdoc IInsuranceFund
    function ledgerHead() external view returns (uint256) {
        return _head;
    }

    /// @inheritdoc IInsuranceFund
    function entry(uint256 index) external view returns (Entry memory) {
        return _ledger[index];
    }

    // ---------------------------------------------------------------- withdrawal requests

    /// @inheritdoc IInsuranceFund
    function requestRedeem(uint256 shares) external {
        uint256 balance = balanceOf(msg.sender);
        if (shares == 0 || shares > balance) revert InsuranceFund__InsufficientShares(balance, shares);
        uint64 readyAt = uint64(block.timestamp) + cooldown;
        uint64 expiresAt = readyAt + redeemWindow;
        // shares <= balance <= totalSupply, which fits 128 bits for any real token supply x 10^6
        _requests[msg.sender] = RedeemRequest(uint128(shares), readyAt, expiresAt);
        emit RedeemRequested(msg.sender, shares, readyAt, expiresAt);
    }

    /// @inheritdoc IInsuranceFund
    function cancelRedeem() external {
        if (_requests[msg.sender].shares == 0) revert InsuranceFund__NoRedeemRequest(msg.sender);
        delete _requests[msg.sender];
        emit RedeemCancelled(msg.sender);
    }

    /// @inheritdoc IInsuranceFund
    function redeemRequest(address owner_) external view returns (RedeemRequest memory) {
        return _requests[owner_];
    }

    /// @inheritdoc IInsuranceFund
    function lockedShares(address owner_) public view returns (uint256) {
        RedeemRequest memory r = _requests[owner_];
        return block.timestamp > r.expiresAt ? 0 : r.shares;
    }

    // ---------------------------------------------------------------- ERC-4626

    /// @notice Settlement balance + open lots at oracle x haircut - owed - held, floored at 0. If the
    ///         lots cannot be valued (oracle down), they count as 0 and deposits and withdrawals stop.
    function totalAssets() public view override returns (uint256) {
        (, uint256 lots) = _lotValue();
        uint256 gross = IERC20(asset()).balanceOf(address(this)) + lots;
        uint256 reserved = totalOwed + totalHeld;
        return gross > reserved ? gross - reserved : 0;
    }

    /// @notice 0 while paused or while the lots cannot be valued; otherwise unlimited.
    function maxDeposit(address) public view override returns (uint256) {
        return _open() ? type(uint256).max : 0;
    }

    /// @notice 0 while paused or while the lots cannot be valued; otherwise unlimited.
    function maxMint(address) public view override returns (uint256) {
        return _open() ? type(uint256).max : 0;
    }

    /// @notice The ready, unexpired request's shares (at most the balance), limited to what available()
    ///         can pay; 0 while anything is owed, while paused or while the lots cannot be valued.
    function maxRedeem(address owner_) public view override returns (uint256) {
        if (!_redeemable(owner_)) return 0;
        uint256 shares = _requests[owner_].shares;
        uint256 balance = balanceOf(owner_);
        if (balance < shares) shares = balance;
        uint256 free = available();
        if (_convertToAssets(shares, Math.Rounding.Floor) <= free) return shares;
        // the most shares s with floor(s x (A + 1) / (S + 10^offset)) <= free
        uint256 x = free + 1;
        uint256 y = totalSupply() + 10 ** DECIMALS_OFFSET;
        uint256 z = totalAssets() + 1;
        uint256 cap = Math.mulDiv(x, y, z);
        if (mulmod(x, y, z) == 0) cap -= 1;
        return cap < shares ? cap : shares;
    }

    /// @notice The assets maxRedeem(owner) gives (rounded down).
    function maxWithdraw(address owner_) public view override returns (uint256) {
        return previewRedeem(maxRedeem(owner_));
    }

    /// @inheritdoc ERC4626
    function deposit(uint256 assets, address receiver) public override nonReentrant returns (uint256) {
        _requireOpen();
        return super.deposit(assets, receiver);
    }

    /// @inheritdoc ERC4626
    function mint(uint256 shares, address receiver) public override nonReentrant returns (uint256) {
        _requireOpen();
        return super.mint(shares, receiver);
    }

    /// @inheritdoc ERC4626
    function withdraw(uint256 assets, address receiver, address owner_) public override nonReentrant returns (uint256) {
        _requireRedeemable(owner_);
        return super.withdraw(assets, receiver, owner_);
    }

    /// @inheritdoc ERC4626
    function redeem(uint256 shares, address receiver, address owner_) public override nonReentrant returns (uint256) {
        _requireRedeemable(owner_);
        return super.redeem(shares, receiver, owner_);
    }

    function _decimalsOffset() internal pure override returns (uint8) {
        return DECIMALS_OFFSET;
    }

    /// @dev Consumes the request before the burn (so the lock check in _update sees the reduced lock).
    function _withdraw(
        address caller,
        address receiver,
        address owner_,
        uint256 assets,
        uint256 shares
    ) internal override {
        RedeemRequest storage r = _requests[owner_];
        // maxRedeem/maxWithdraw bound shares by the request; this keeps it so under any rounding
        if (shares > r.shares) revert ERC4626ExceededMaxRedeem(owner_, shares, r.shares);
        r.shares -= uint128(shares);
        if (r.shares == 0) delete _requests[owner_];
        super._withdraw(caller, receiver, owner_, assets, shares);
    }

    /// @dev Shares under an unexpired request cannot leave their owner except by redeeming them.
    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0)) {
            uint256 locked = lockedShares(from);
            if (locked > 0 && balanceOf(from) < locked + value) revert InsuranceFund__SharesLocked(from, locked);
        }
        super._update(from, to, value);
    }

    // ---------------------------------------------------------------- internal

    function _setCooldown(uint64 cooldown_, uint64 redeemWindow_) private {
        if (cooldown_ < MIN_COOLDOWN || cooldown_ > MAX_COOLDOWN) {
            revert InsuranceFund__BadParameter("cooldown", cooldown_);
        }
        if (redeemWindow_ < MIN_REDEEM_WINDOW || redeemWindow_ > MAX_REDEEM_WINDOW) {
            revert InsuranceFund__BadParameter("redeemWindow", redeemWindow_);
        }
        cooldown = cooldown_;
        redeemWindow = redeemWindow_;
        emit CooldownSet(cooldown_, redeemWindow_);
    }

    function _lotValue() private view returns (bool ok, uint256 value) {
        address house = auctionHouse;
        if (house == address(0)) return (true, 0);
        try IAuctionHouse(house).lotValue() returns (uint256 v) {
            return (true, v);
        } catch {
            return (false, 0);
        }
    }

    function _open() private view returns (bool) {
        (bool ok, ) = _lotValue();
        return ok && !paused();
    }

    function _requireOpen() private view {
        if (paused()) revert Governed__Paused(pausedUntil);
        (bool ok, ) = _lotValue();
        if (!ok) revert InsuranceFund__NavUnavailable();
    }

    function _redeemable(address owner_) private view returns (bool) {
        RedeemRequest memory r = _requests[owner_];
        return
            totalOwed == 0 && r.shares > 0 && block.timestamp >= r.readyAt && block.timestamp <= r.expiresAt && _open();
    }

    /// @dev The reason maxRedeem(owner) is 0, as an error (then ERC-4626's own amount check follows).
    function _requireRedeemable(address owner_) private view {
        if (totalOwed > 0) revert InsuranceFund__WithdrawalsBlockedWhileOwed(totalOwed);
        RedeemRequest memory r = _requests[owner_];
        if (r.shares == 0) revert InsuranceFund__NoRedeemRequest(owner_);
        if (block.timestamp < r.readyAt) revert InsuranceFund__CooldownActive(r.readyAt);
        if (block.timestamp > r.expiresAt) revert InsuranceFund__RedeemRequestExpired(r.expiresAt);
        _requireOpen();
    }
}
