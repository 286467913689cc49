// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice TEST ONLY: a 6-decimal token that refuses transfers to blocked addresses (as USDC's
///         blacklist does).
contract TestBlockingToken is ERC20 {
    mapping(address => bool) public blocked;

    error TestBlockingToken__Blocked(address to);

    constructor() ERC20("Blocking USD", "bUSD") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setBlocked(address who, bool value) external {
        blocked[who] = value;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (blocked[to]) revert TestBlockingToken__Blocked(to);
        super._update(from, to, value);
    }
}
