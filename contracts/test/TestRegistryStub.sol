// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {IHaircuts} from "../interfaces/IAuctionHouse.sol";

/// @notice TEST ONLY: stands in for the registry: settable haircuts (IHaircuts) and a forwarder so tests
///         can call the fund and the auction house as the registry (pay, payUpTo, kick).
contract TestRegistryStub is IHaircuts {
    mapping(uint256 asset => uint256) public haircutBps;

    function setHaircut(uint256 asset, uint256 bps) external {
        haircutBps[asset] = bps;
    }

    /// @notice Calls `target` with `data` as this contract; bubbles any revert.
    function exec(address target, bytes calldata data) external returns (bytes memory) {
        return Address.functionCall(target, data);
    }
}
