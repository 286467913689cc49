// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title ReentrantToken
/// @notice TEST ONLY: a hostile ERC-20 for the registry's reentrancy tests. When armed, its next
///         `transfer` or `transferFrom` first calls an arbitrary target (the registry) as the token, and
///         bubbles up any revert. It can also charge a flat fee on every transfer (burnt), like a
///         fee-on-transfer token. Never deploy it outside tests.
contract ReentrantToken is ERC20 {
    /// @notice Contract the armed hook calls (address 0 = disarmed). Not named `target`: ethers'
    ///         contract objects reserve that name.
    address public hookTarget;
    /// @notice Calldata the armed hook sends to `hookTarget`.
    bytes public hookData;
    /// @notice Flat amount burnt from every transfer between two non-zero addresses.
    uint256 public fee;

    constructor() ERC20("Reentrant Token", "REENT") {}

    /// @notice Mints `amount` to `to` (anyone).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Arms the hook: the next transfer or transferFrom first calls `target_` with `payload_`.
    ///         Pass address 0 to disarm.
    function arm(address target_, bytes calldata payload_) external {
        hookTarget = target_;
        hookData = payload_;
    }

    /// @notice Sets the flat fee burnt from every transfer (0 = none).
    function setFee(uint256 fee_) external {
        fee = fee_;
    }

    /// @notice Calls `to` with `data` as this token, outside any transfer (to set up its own account).
    function execute(address to, bytes calldata data) external returns (bytes memory) {
        return _call(to, data);
    }

    /// @inheritdoc ERC20
    function transfer(address to, uint256 value) public override returns (bool) {
        _reenter();
        return super.transfer(to, value);
    }

    /// @inheritdoc ERC20
    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        _reenter();
        return super.transferFrom(from, to, value);
    }

    function _update(address from, address to, uint256 value) internal override {
        uint256 f = fee;
        if (f == 0 || from == address(0) || to == address(0)) return super._update(from, to, value);
        super._update(from, address(0), f);
        super._update(from, to, value - f);
    }

    /// @dev Fires once per arming: disarms before calling so the inner call's own transfers do not recurse.
    function _reenter() private {
        address t = hookTarget;
        if (t == address(0)) return;
        hookTarget = address(0);
        _call(t, hookData);
    }

    function _call(address to, bytes memory data) private returns (bytes memory ret) {
        bool ok;
        // The attack is a raw call back into the registry.
        // solhint-disable-next-line avoid-low-level-calls
        (ok, ret) = to.call(data);
        if (!ok) {
            // Bubbles the registry's revert data up unchanged.
            // solhint-disable-next-line no-inline-assembly
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
    }
}
