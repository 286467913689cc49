// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Bounds} from "../registry/Bounds.sol";
import {Types} from "../registry/Types.sol";

/// @notice TEST ONLY: exposes the registry's Bounds so a test can compare them with the deploy check.
contract BoundsHarness {
    function timing(Types.Timing calldata t) external pure returns (uint256) {
        Bounds.requireTiming(t);
        return Bounds.requiredDelay(t);
    }

    function incentives(Types.Incentives calldata i) external pure {
        Bounds.requireIncentives(i);
    }

    function deleverage(Types.Deleverage calldata d) external pure {
        Bounds.requireDeleverage(d);
    }
}
