// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IUniswapV2Router} from "../interfaces/IUniswapV2.sol";
import {IAuctionHouse, IAuctionTaker} from "../interfaces/IAuctionHouse.sol";

/// @title UniswapV2Taker
/// @notice A keeper's flash taker: buys a slice of an auction and pays for it by selling the slice on a
///         Uniswap V2 router in the same transaction; the profit goes to the owner (the keeper).
/// @dev The swap's amountOutMin is owe + minProfit, so the take reverts (and nothing moves) unless the
///      pool pays the auction and the minimum profit; `deadline` bounds when it may be mined. The
///      callback only runs inside this contract's own `takeAndSwap` (transient flag keyed on the id).
contract UniswapV2Taker is IAuctionTaker, Ownable2Step {
    using SafeERC20 for IERC20;

    IAuctionHouse public immutable house;
    IUniswapV2Router public immutable router;
    IERC20 public immutable settlement;

    /// @dev id + 1 while this contract's own take of auction `id` runs; 0 otherwise.
    uint256 private transient _taking;

    error Taker__NotAuctionHouse(address caller);
    error Taker__NotTaking(address initiator, uint256 id);
    error Taker__BadPath();
    error Taker__ZeroAddress();

    event TakeAndSwap(uint256 indexed id, uint256 slice, uint256 owe, uint256 profit);
    event Swept(address indexed token, address indexed to, uint256 amount);

    constructor(address owner_, IAuctionHouse house_, IUniswapV2Router router_) Ownable(owner_) {
        if (address(house_) == address(0) || address(router_) == address(0)) revert Taker__ZeroAddress();
        house = house_;
        router = router_;
        settlement = IERC20(house_.token(0));
    }

    /// @notice Takes up to `maxAmount` of auction `id` at a price at most `maxPrice`, sells it along
    ///         `path` (collateral -> ... -> settlement asset) and sends the profit (at least minProfit)
    ///         to the owner.
    /// @return profit settlement asset sent to the owner
    function takeAndSwap(
        uint256 id,
        uint256 maxAmount,
        uint256 maxPrice,
        uint256 minProfit,
        address[] calldata path,
        uint256 deadline
    ) external onlyOwner returns (uint256 profit) {
        if (path.length < 2 || path[path.length - 1] != address(settlement)) revert Taker__BadPath();
        if (path[0] != house.token(house.auction(id).asset)) revert Taker__BadPath();
        uint256 before = settlement.balanceOf(address(this));
        _taking = id + 1;
        (uint256 slice, uint256 owe) = house.take(
            id,
            maxAmount,
            maxPrice,
            address(this),
            abi.encode(path, minProfit, deadline)
        );
        _taking = 0;
        profit = settlement.balanceOf(address(this)) - before;
        emit TakeAndSwap(id, slice, owe, profit);
        settlement.safeTransfer(owner(), profit);
    }

    /// @inheritdoc IAuctionTaker
    function onAuctionTake(
        address initiator,
        uint256 id,
        uint256 slice,
        uint256 owe,
        bytes calldata data
    ) external returns (bytes4) {
        if (msg.sender != address(house)) revert Taker__NotAuctionHouse(msg.sender);
        if (initiator != address(this) || _taking != id + 1) revert Taker__NotTaking(initiator, id);
        (address[] memory path, uint256 minProfit, uint256 deadline) = abi.decode(data, (address[], uint256, uint256));
        IERC20(path[0]).forceApprove(address(router), slice);
        router.swapExactTokensForTokens(slice, owe + minProfit, path, address(this), deadline);
        settlement.forceApprove(address(house), owe);
        return IAuctionTaker.onAuctionTake.selector;
    }

    /// @notice Sends this contract's whole balance of `token` to `to` (owner; strays and dust).
    function sweep(IERC20 token, address to) external onlyOwner returns (uint256 amount) {
        if (to == address(0)) revert Taker__ZeroAddress();
        amount = token.balanceOf(address(this));
        emit Swept(address(token), to, amount);
        token.safeTransfer(to, amount);
    }
}
