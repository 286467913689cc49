// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice The part of Uniswap V2's Router02 (@uniswap/v2-periphery 1.1.0-beta.0) zkmargin uses.
interface IUniswapV2Router {
    function factory() external pure returns (address);

    // solhint-disable-next-line func-name-mixedcase
    function WETH() external pure returns (address);

    function addLiquidity(
        address tokenA,
        address tokenB,
        uint256 amountADesired,
        uint256 amountBDesired,
        uint256 amountAMin,
        uint256 amountBMin,
        address to,
        uint256 deadline
    ) external returns (uint256 amountA, uint256 amountB, uint256 liquidity);

    function swapExactTokensForTokens(
        uint256 amountIn,
        uint256 amountOutMin,
        address[] calldata path,
        address to,
        uint256 deadline
    ) external returns (uint256[] memory amounts);

    function getAmountsOut(uint256 amountIn, address[] calldata path) external view returns (uint256[] memory);
}

/// @notice The part of Uniswap V2's factory (@uniswap/v2-core 1.0.1) zkmargin uses.
interface IUniswapV2Factory {
    function getPair(address tokenA, address tokenB) external view returns (address pair);

    function createPair(address tokenA, address tokenB) external returns (address pair);

    function allPairsLength() external view returns (uint256);
}

/// @notice The part of a Uniswap V2 pair zkmargin uses.
interface IUniswapV2Pair {
    function token0() external view returns (address);

    function getReserves() external view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);
}
