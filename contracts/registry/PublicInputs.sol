// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IZkMarginRegistry} from "../interfaces/IZkMarginRegistry.sol";

/// @title PublicInputs
/// @notice Builds the circuits' packed public words from values the registry rebuilt from its own
///         storage (docs/protocol-v2.md section 4; prover/model/packing.ts mirrors every layout).
library PublicInputs {
    /// @notice BN254 scalar field modulus: every public signal is below it.
    uint256 internal constant FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice Values (collateral value, fee, claim, penalty) are below 2^120 value units.
    uint256 internal constant MAX_VALUE = (1 << 120) - 1;
    /// @notice Signed values are packed with this offset (|x| < 2^127).
    uint256 internal constant SIGNED_OFFSET = 1 << 127;
    /// @notice Commitment of the empty state (salt 0, cash 0, no positions; tag "zkmargin.pos.v2", M = 4):
    ///         prover/model `commitment(emptyState(4))`; a test checks the two agree. A constant, not a
    ///         deployer parameter: a chosen value could commit every account to a fake profitable state.
    uint256 internal constant EMPTY_COMMITMENT = 0x08cd1d5eca5dd03f998cac798549adc93e6efaf0a66aa44d068d9fbf7238f3e3;

    uint256 internal constant UPDATE = 1;
    uint256 internal constant PROVE = 2;
    uint256 internal constant RESPOND = 3;
    uint256 internal constant DELEVERAGE = 4;
    uint256 internal constant CLAIM = 5;

    /// @notice ctx = keccak256(abi.encode(domain, chainId, registry, account, nonce)) mod p.
    function context(uint256 domain, address account, uint256 nonce) internal view returns (uint256) {
        return uint256(keccak256(abi.encode(domain, block.chainid, address(this), account, nonce))) % FIELD;
    }

    function requireField(uint256 value) internal pure {
        if (value >= FIELD) revert IZkMarginRegistry.Registry__NotInField(value);
    }

    function requireValue(uint256 value) internal pure {
        if (value > MAX_VALUE) revert IZkMarginRegistry.Registry__ValueTooLarge(value);
    }

    /// @notice x + 2^127 for |x| < 2^127.
    function offsetSigned(int256 x) internal pure returns (uint256) {
        if (x <= -int256(SIGNED_OFFSET) || x >= int256(SIGNED_OFFSET))
            revert IZkMarginRegistry.Registry__SettleOutOfRange(x);
        return uint256(x + int256(SIGNED_OFFSET));
    }

    /// @notice Four 16-bit ratios (bits 16j) as four 14-bit fields (bits 14j); each must be <= 10000.
    function ratios14(uint64 packed) internal pure returns (uint256 r) {
        for (uint256 j = 0; j < 4; j++) r |= uint256(uint16(packed >> (16 * j))) << (14 * j);
    }

    function price(uint256 prices, uint256 j) internal pure returns (uint256) {
        return uint64(prices >> (64 * j));
    }

    /// @notice Update: [C, C', ctx, w0, w1, w2].
    function updateWords(
        uint256 valueAfter,
        int256 settle,
        bool withdrawing,
        uint256 d,
        uint256 minValue40,
        uint256 prices,
        uint64 mm,
        uint64 im,
        uint64 pm
    ) internal pure returns (uint256 w0, uint256 w1, uint256 w2) {
        requireValue(valueAfter);
        w0 = valueAfter | (offsetSigned(settle) << 120) | (uint256(withdrawing ? 1 : 0) << 248);
        w1 = d | (minValue40 << 14) | (price(prices, 0) << 54) | (price(prices, 1) << 118) | (price(prices, 2) << 182);
        w2 = price(prices, 3) | (ratios14(mm) << 64) | (ratios14(im) << 120) | (ratios14(pm) << 176);
    }

    /// @notice Certificate: [C, ctx, w0, w1].
    function certificateWords(
        uint256 value,
        uint256 d,
        uint256 prices,
        uint64 pm
    ) internal pure returns (uint256 w0, uint256 w1) {
        requireValue(value);
        w0 = value | (d << 120) | (price(prices, 0) << 134);
        w1 = price(prices, 1) | (price(prices, 2) << 64) | (price(prices, 3) << 128) | (ratios14(pm) << 192);
    }

    /// @notice Deleverage: [C, C', ctx, w0, w1, w2].
    function deleverageWords(
        uint256 valueAfter,
        uint256 fee,
        uint256 feeBps,
        uint256 d,
        uint256 prices,
        uint64 pm
    ) internal pure returns (uint256 w0, uint256 w1, uint256 w2) {
        requireValue(valueAfter);
        requireValue(fee);
        w0 = valueAfter | (fee << 120);
        w1 = feeBps | (d << 14) | (price(prices, 0) << 28) | (price(prices, 1) << 92) | (price(prices, 2) << 156);
        w2 = price(prices, 3) | (ratios14(pm) << 64);
    }

    /// @notice Equity: [C, ctx, w0, w1, w2].
    function equityWords(
        uint256 value,
        uint256 claimed,
        uint256 penalty,
        uint256 prices
    ) internal pure returns (uint256 w0, uint256 w1, uint256 w2) {
        requireValue(value);
        requireValue(claimed);
        requireValue(penalty);
        w0 = value | (claimed << 120);
        w1 = penalty | (price(prices, 0) << 120) | (price(prices, 1) << 184);
        w2 = price(prices, 2) | (price(prices, 3) << 64);
    }
}
