// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {IAuctionHouse, IAuctionTaker} from "../interfaces/IAuctionHouse.sol";
import {TestRegistryStub} from "./TestRegistryStub.sol";

/// @notice TEST ONLY: a flash taker that misbehaves on demand inside onAuctionTake.
contract TestAuctionTaker is IAuctionTaker {
    enum Mode {
        Repay,
        NoRepay,
        ReenterTake,
        ReenterRedo,
        ReenterKick,
        BadReturn,
        DepositIntoFund,
        ReadLotValue
    }

    IAuctionHouse public immutable house;
    IERC20 public immutable settlement;
    Mode public mode;
    TestRegistryStub public stub;

    constructor(IAuctionHouse house_) {
        house = house_;
        settlement = IERC20(house_.token(0));
    }

    function setMode(Mode mode_, TestRegistryStub stub_) external {
        mode = mode_;
        stub = stub_;
    }

    /// @notice Calls take with this contract as the receiver (and payer).
    function takeFlash(uint256 id, uint256 maxAmount, uint256 maxPrice) external {
        house.take(id, maxAmount, maxPrice, address(this), hex"01");
    }

    function onAuctionTake(address, uint256 id, uint256, uint256 owe, bytes calldata) external returns (bytes4) {
        Mode m = mode;
        if (m == Mode.ReenterTake) house.take(id, 1, type(uint256).max, address(this), "");
        if (m == Mode.ReenterRedo) house.redo(id, address(this));
        if (m == Mode.ReenterKick) stub.exec(address(house), abi.encodeCall(IAuctionHouse.kick, (1, 1)));
        if (m == Mode.DepositIntoFund) {
            address fund = address(house.fund());
            settlement.approve(fund, 1);
            IERC4626(fund).deposit(1, address(this));
        }
        if (m == Mode.ReadLotValue) house.lotValue();
        if (m != Mode.NoRepay) settlement.approve(address(house), owe);
        return m == Mode.BadReturn ? bytes4(0xdeadbeef) : IAuctionTaker.onAuctionTake.selector;
    }
}
