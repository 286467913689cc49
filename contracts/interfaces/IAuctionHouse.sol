// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IInsuranceFund} from "./IInsuranceFund.sol";

/// @notice The one registry view the auction house reads: a collateral asset's haircut (the fraction of
///         its oracle value that counts, in basis points, (0, 10_000]).
interface IHaircuts {
    function haircutBps(uint256 asset) external view returns (uint256);
}

/// @notice The part of the project's OracleAdapter the auction house reads: every collateral asset's
///         price at 8 decimals, index 0 being the settlement asset (reverts on a stale or bad round).
interface IAssetPrices {
    function assetPrices() external view returns (uint64[] memory);
}

/// @notice A flash taker: receives the collateral first, then must let the auction house pull `owe`
///         of the settlement asset from the take's caller.
interface IAuctionTaker {
    /// @param initiator the caller of `take` (who pays `owe`)
    /// @param id the auction
    /// @param slice collateral sent to this contract (collateral base units)
    /// @param owe settlement asset the auction house pulls from `initiator` after this call
    /// @param data the `data` given to `take`
    /// @return the selector of this function (anything else aborts the take)
    function onAuctionTake(
        address initiator,
        uint256 id,
        uint256 slice,
        uint256 owe,
        bytes calldata data
    ) external returns (bytes4);
}

/// @title IAuctionHouse
/// @notice Dutch auctions of seized collateral for the settlement asset (Maker LIQ 2.0's Clipper is the
///         reference). Prices are RAY (1e27) fixed point, in settlement-asset base units per collateral
///         base unit. Its errors, events and structs.
interface IAuctionHouse {
    /// @notice Governance parameters (bounds in AuctionHouse).
    /// @param buf starting price = oracle x buf (RAY)
    /// @param step seconds between price cuts
    /// @param cut price multiplier per step (RAY, < 1)
    /// @param tail seconds after which an auction needs a redo
    /// @param cusp price / top below which an auction needs a redo (RAY)
    /// @param chost minimum value of what a partial take leaves (settlement base units)
    /// @param chip redo tip as a fraction of the lot's oracle value (WAD)
    /// @param tip cap on the redo tip (settlement base units)
    struct Params {
        uint256 buf;
        uint256 step;
        uint256 cut;
        uint256 tail;
        uint256 cusp;
        uint256 chost;
        uint256 chip;
        uint256 tip;
    }

    /// @notice A running auction as stored (lot 0: none).
    struct Sale {
        uint128 lot;
        uint64 tic;
        uint32 pos;
        uint8 asset;
        uint256 top;
    }

    /// @notice A running auction with its state now.
    struct AuctionView {
        uint256 id;
        uint256 asset;
        uint256 lot;
        uint256 top;
        uint256 tic;
        uint256 price;
        bool needsRedo;
    }

    error AuctionHouse__NotDeployer(address caller);
    error AuctionHouse__AlreadyInitialized();
    error AuctionHouse__ZeroAddress();
    error AuctionHouse__NotRegistry(address caller);
    error AuctionHouse__BadTokens(uint256 count);
    error AuctionHouse__SettlementMismatch(address token, address fundAsset);
    error AuctionHouse__BadAsset(uint256 asset);
    error AuctionHouse__ZeroLot();
    error AuctionHouse__LotTooLarge(uint256 lot);
    error AuctionHouse__LotNotFunded(uint256 balance, uint256 needed);
    error AuctionHouse__ZeroPrice(uint256 asset);
    error AuctionHouse__NotRunning(uint256 id);
    error AuctionHouse__NeedsRedo(uint256 id);
    error AuctionHouse__CannotRedo(uint256 id);
    error AuctionHouse__TooExpensive(uint256 price, uint256 maxPrice);
    error AuctionHouse__ZeroAmount();
    error AuctionHouse__Dust(uint256 rest, uint256 restValue, uint256 chost);
    error AuctionHouse__BadReceiver(address receiver);
    error AuctionHouse__BadCallbackReturn(bytes4 returned);
    error AuctionHouse__BadParameter(string name, uint256 value);
    error AuctionHouse__PageTooLarge(uint256 limit);
    error AuctionHouse__Busy();

    event Initialized(address registry);
    event ParamsSet(Params params);
    event Kick(uint256 indexed id, uint256 indexed asset, uint256 lot, uint256 top);
    /// @notice `slice` sold for `owe` at `price`; `rest` of the lot remains (0: auction over).
    event Take(
        uint256 indexed id,
        address indexed taker,
        address receiver,
        uint256 price,
        uint256 slice,
        uint256 owe,
        uint256 rest
    );
    /// @notice Restarted at `top`; `tipPaid` of the settlement asset went to `tipReceiver`.
    event Redo(uint256 indexed id, uint256 top, uint256 lot, address indexed tipReceiver, uint256 tipPaid);

    /// @notice Sets the registry (kicks, haircuts), once, by the deployer.
    function initialize(address registry) external;

    /// @notice Starts an auction of `lot` of collateral `asset` (registry; tokens already transferred).
    function kick(uint256 asset, uint256 lot) external returns (uint256 id);

    /// @notice Buys up to `maxAmount` of auction `id` at the current price if it is at most `maxPrice`.
    function take(
        uint256 id,
        uint256 maxAmount,
        uint256 maxPrice,
        address receiver,
        bytes calldata data
    ) external returns (uint256 slice, uint256 owe);

    /// @notice Restarts an auction that needs it at oracle x buf; pays a capped tip to `tipReceiver`.
    function redo(uint256 id, address tipReceiver) external returns (uint256 tipPaid);

    /// @notice Open lots at oracle x haircut, in settlement-asset base units (reverts if the oracle does).
    function lotValue() external view returns (uint256);

    function auction(uint256 id) external view returns (AuctionView memory);

    function needsRedo(uint256 id) external view returns (bool);

    function activeCount() external view returns (uint256);

    function activeAuctions(uint256 offset, uint256 limit) external view returns (uint256[] memory ids);

    function inventory(uint256 asset) external view returns (uint256);

    /// @notice The insurance fund (receives the proceeds, pays the redo tips).
    function fund() external view returns (IInsuranceFund);

    /// @notice The registry (kicks, haircuts); 0 until initialized.
    function registry() external view returns (address);

    function token(uint256 asset) external view returns (address);

    /// @notice Oracle price of `asset` in settlement base units per collateral base unit (RAY).
    function oraclePrice(uint256 asset) external view returns (uint256);
}
