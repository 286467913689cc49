// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// TEST ONLY: makes Hardhat compile OpenZeppelin's TimelockController (tests deploy the real one as the
// owner of governed contracts).
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @notice TEST ONLY: an empty contract so this file has a definition besides the import.
contract GovernanceImports {
    TimelockController internal _unused;
}
