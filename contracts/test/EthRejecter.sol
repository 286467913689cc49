// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

interface IChallenge {
    function challenge(address account) external payable;
    function withdrawCredit() external;
}

/// @notice TEST ONLY: a keeper contract that refuses ETH, to show bond payments cannot be blocked.
contract EthRejecter {
    function challenge(IChallenge registry, address account) external payable {
        registry.challenge{value: msg.value}(account);
    }

    function withdrawCredit(IChallenge registry) external {
        registry.withdrawCredit();
    }
}
