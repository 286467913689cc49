// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

interface IChallenge {
    function challenge(address account) external payable;
    function withdrawCredit() external;
}

/// @notice TEST ONLY: a keeper contract that refuses ETH (until told to accept it), to show bond payments
///         cannot be blocked and that a credited bond can be withdrawn later.
contract EthRejecter {
    error EthRejecter__Refusing();

    bool public accepting;

    function setAccepting(bool a) external {
        accepting = a;
    }

    receive() external payable {
        if (!accepting) revert EthRejecter__Refusing();
    }

    function challenge(IChallenge registry, address account) external payable {
        registry.challenge{value: msg.value}(account);
    }

    function withdrawCredit(IChallenge registry) external {
        registry.withdrawCredit();
    }
}
