// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Types} from "../registry/Types.sol";

interface IRegistryChallenges {
    function challenge(address account, Types.Cert calldata cert) external payable;

    function challengeBatch(
        address[] calldata accounts,
        Types.Cert[] calldata certs
    ) external payable returns (uint256);

    function withdrawCredit() external;
}

/// @notice TEST ONLY: a v2 keeper contract that refuses ETH until told to accept it, to show that a bond payment
///         or a refund that bounces is credited (it cannot block liquidate or respond) and can be withdrawn later.
contract TestRejectingKeeper {
    error TestRejectingKeeper__Refusing();

    bool public accepting;

    function setAccepting(bool a) external {
        accepting = a;
    }

    receive() external payable {
        if (!accepting) revert TestRejectingKeeper__Refusing();
    }

    function challenge(IRegistryChallenges registry, address account, Types.Cert calldata cert) external payable {
        registry.challenge{value: msg.value}(account, cert);
    }

    function challengeBatch(
        IRegistryChallenges registry,
        address[] calldata accounts,
        Types.Cert[] calldata certs
    ) external payable {
        registry.challengeBatch{value: msg.value}(accounts, certs);
    }

    function withdrawCredit(IRegistryChallenges registry) external {
        registry.withdrawCredit();
    }
}
