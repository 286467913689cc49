// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {FixedPointMathLib} from "solady/src/utils/FixedPointMathLib.sol";
import {Governed} from "../governance/Governed.sol";
import {IAssetPrices, IAuctionHouse, IAuctionTaker, IHaircuts} from "../interfaces/IAuctionHouse.sol";
import {IInsuranceFund} from "../interfaces/IInsuranceFund.sol";

/// @title AuctionHouse
/// @notice Sells seized collateral for the settlement asset by Dutch auction, the proceeds going to the
///         insurance fund (Maker LIQ 2.0's Clipper and StairstepExponentialDecrease are the reference).
///         An auction starts at top = oracle x buf and its price falls as top x cut^floor(elapsed / step).
///         Past `tail` seconds, or once price / top < cusp, it stops selling until someone `redo`es it
///         (restart at a fresh oracle x buf, tip from the fund). `take` sells partial slices; a partial
///         take must leave either nothing or a rest worth at least `chost` at the current price. With
///         `data`, the collateral goes out first and the receiver's `onAuctionTake` runs before the
///         settlement asset is pulled from the caller (a flash take: pay from an AMM swap).
///
///         Prices are RAY (1e27) fixed point, in settlement-asset base units per collateral base unit;
///         the oracle's 8-decimal prices are converted with the tokens' decimals. The guardian's pause
///         (Governed) is the breaker: it stops takes and redos, never kicks (a liquidation must not
///         revert) and never the clock: an auction whose tail passes during a pause needs a redo, which
///         restarts it from a fresh oracle price.
contract AuctionHouse is IAuctionHouse, Governed, ReentrancyGuard {
    using SafeERC20 for IERC20;

    uint256 public constant RAY = 1e27;
    uint256 public constant WAD = 1e18;
    uint256 public constant BPS = 10_000;
    uint256 public constant MAX_ASSETS = 4;
    uint256 public constant MAX_PAGE = 100;

    // Bounds of the governance parameters (each setting is safe on its own).
    /// @notice buf in [1, 2]: never start below the oracle, never absurdly above it.
    uint256 public constant MIN_BUF = RAY;
    uint256 public constant MAX_BUF = 2 * RAY;
    /// @notice step in [1 s, 1 h].
    uint256 public constant MIN_STEP = 1;
    uint256 public constant MAX_STEP = 1 hours;
    /// @notice cut in [0.5, 1): the price falls, at most by half per step.
    uint256 public constant MIN_CUT = RAY / 2;
    uint256 public constant MAX_CUT = RAY - 1;
    /// @notice tail in [5 min, 3 days].
    uint256 public constant MIN_TAIL = 5 minutes;
    uint256 public constant MAX_TAIL = 3 days;
    /// @notice cusp in [0.1, 0.95]: no sale below 10% of top, and some room to fall before a reset.
    uint256 public constant MIN_CUSP = RAY / 10;
    uint256 public constant MAX_CUSP = (RAY * 95) / 100;
    /// @notice chost at most 10^7 whole settlement units.
    uint256 public constant MAX_CHOST_UNITS = 1e7;
    /// @notice chip at most 1% of the lot's oracle value.
    uint256 public constant MAX_CHIP = WAD / 100;
    /// @notice tip at most 10^4 whole settlement units.
    uint256 public constant MAX_TIP_UNITS = 1e4;

    address private immutable _deployer;
    IAssetPrices public immutable oracle;
    IInsuranceFund public immutable fund;
    address public registry;

    IERC20[] private _tokens;
    uint8[] private _decimals;
    uint256[] private _inventory;

    Params private _params;

    /// @notice Auctions started so far (ids are 1..kicks).
    uint256 public kicks;
    uint256[] private _active;
    mapping(uint256 id => Sale) private _sales;

    modifier onlyRegistry() {
        if (msg.sender != registry) revert AuctionHouse__NotRegistry(msg.sender);
        _;
    }

    /// @param owner_ the timelock (TimelockController) that governs the house
    /// @param tokens collateral tokens in the registry's asset order; tokens[0] is the settlement asset
    /// @param oracle_ the OracleAdapter (asset prices in the same order)
    /// @param fund_ the insurance fund (receives proceeds, pays redo tips); its asset is tokens[0]
    constructor(
        address owner_,
        address[] memory tokens,
        IAssetPrices oracle_,
        IInsuranceFund fund_,
        Params memory params_
    ) Ownable(owner_) {
        if (tokens.length < 2 || tokens.length > MAX_ASSETS) revert AuctionHouse__BadTokens(tokens.length);
        if (address(oracle_) == address(0) || address(fund_) == address(0)) revert AuctionHouse__ZeroAddress();
        address fundAsset = IERC4626(address(fund_)).asset();
        if (tokens[0] != fundAsset) revert AuctionHouse__SettlementMismatch(tokens[0], fundAsset);
        for (uint256 i = 0; i < tokens.length; i++) {
            if (tokens[i] == address(0)) revert AuctionHouse__ZeroAddress();
            _tokens.push(IERC20(tokens[i]));
            _decimals.push(IERC20Metadata(tokens[i]).decimals());
            _inventory.push(0);
        }
        _deployer = msg.sender;
        oracle = oracle_;
        fund = fund_;
        _setParams(params_);
    }

    /// @inheritdoc IAuctionHouse
    function initialize(address registry_) external {
        if (msg.sender != _deployer) revert AuctionHouse__NotDeployer(msg.sender);
        if (registry != address(0)) revert AuctionHouse__AlreadyInitialized();
        if (registry_ == address(0)) revert AuctionHouse__ZeroAddress();
        registry = registry_;
        emit Initialized(registry_);
    }

    /// @notice Sets every auction parameter (governance, each within its bounds). Running auctions keep
    ///         their top and start time; the new curve, tail and cusp apply to them at once.
    function setParams(Params calldata p) external onlyGovernance {
        _setParams(p);
    }

    /// @notice The fund's LPs bear the auctions' outcome: a change waits at least one fund cooldown, so
    ///         an LP who disagrees can leave before it bites.
    function requiredDelay() public view override returns (uint256) {
        return fund.cooldown();
    }

    /// @notice Current parameters.
    function params() external view returns (Params memory) {
        return _params;
    }

    // ---------------------------------------------------------------- auctions

    /// @inheritdoc IAuctionHouse
    function kick(uint256 asset, uint256 lot) external nonReentrant onlyRegistry returns (uint256 id) {
        if (asset == 0 || asset >= _tokens.length) revert AuctionHouse__BadAsset(asset);
        if (lot == 0) revert AuctionHouse__ZeroLot();
        if (lot > type(uint128).max) revert AuctionHouse__LotTooLarge(lot);
        uint256 needed = _inventory[asset] + lot;
        uint256 balance = _tokens[asset].balanceOf(address(this));
        if (balance < needed) revert AuctionHouse__LotNotFunded(balance, needed);
        uint256 top = _top(asset);

        id = ++kicks;
        _inventory[asset] = needed;
        _sales[id] = Sale(uint128(lot), uint64(block.timestamp), uint32(_active.length), uint8(asset), top);
        _active.push(id);
        emit Kick(id, asset, lot, top);
    }

    /// @inheritdoc IAuctionHouse
    /// @return slice collateral sold (collateral base units)
    /// @return owe settlement asset paid to the fund (base units, rounded up)
    function take(
        uint256 id,
        uint256 maxAmount,
        uint256 maxPrice,
        address receiver,
        bytes calldata data
    ) external nonReentrant whenNotPaused returns (uint256 slice, uint256 owe) {
        uint256 asset;
        (asset, slice, owe) = _sell(id, maxAmount, maxPrice, receiver);
        IERC20 settlement = _tokens[0];
        if (data.length == 0) {
            settlement.safeTransferFrom(msg.sender, address(fund), owe);
            _tokens[asset].safeTransfer(receiver, slice);
        } else {
            _requireCallee(receiver);
            _tokens[asset].safeTransfer(receiver, slice);
            bytes4 ret = IAuctionTaker(receiver).onAuctionTake(msg.sender, id, slice, owe, data);
            if (ret != IAuctionTaker.onAuctionTake.selector) revert AuctionHouse__BadCallbackReturn(ret);
            settlement.safeTransferFrom(msg.sender, address(fund), owe);
        }
    }

    /// @inheritdoc IAuctionHouse
    /// @dev The tip is min(chip x lot's oracle value, tip), paid only for a lot worth at least chost (no
    ///      farming of dust auctions) and only as far as the fund has it free (payUpTo).
    function redo(uint256 id, address tipReceiver) external nonReentrant whenNotPaused returns (uint256 tipPaid) {
        Sale memory s = _sales[id];
        if (s.lot == 0) revert AuctionHouse__NotRunning(id);
        (bool done, ) = _status(s);
        if (!done) revert AuctionHouse__CannotRedo(id);

        uint256 feed = oraclePrice(s.asset);
        uint256 top = Math.mulDiv(feed, _params.buf, RAY);
        if (top == 0) revert AuctionHouse__ZeroPrice(s.asset);
        _sales[id].top = top;
        _sales[id].tic = uint64(block.timestamp);

        uint256 coin;
        Params memory p = _params;
        if (tipReceiver != address(0) && (p.chip > 0 || p.tip > 0)) {
            uint256 value = Math.mulDiv(s.lot, feed, RAY);
            if (value >= p.chost) {
                coin = Math.mulDiv(value, p.chip, WAD);
                if (coin > p.tip) coin = p.tip;
            }
        }
        if (coin > 0) tipPaid = fund.payUpTo(tipReceiver, coin);
        emit Redo(id, top, s.lot, tipReceiver, tipPaid);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IAuctionHouse
    /// @dev Sum over assets of inventory x oracle x haircut (rounded down); reads the oracle only when
    ///      some inventory is open, so an empty house never blocks the fund. Reverts during a kick, take
    ///      or redo: inside a flash take's callback the collateral has left and the proceeds have not
    ///      arrived, and a fund deposit priced then would buy shares below their value.
    function lotValue() external view returns (uint256 value) {
        if (_reentrancyGuardEntered()) revert AuctionHouse__Busy();
        uint256 n = _tokens.length;
        uint64[] memory prices;
        for (uint256 i = 1; i < n; i++) {
            uint256 inv = _inventory[i];
            if (inv == 0) continue;
            if (prices.length == 0) prices = oracle.assetPrices();
            uint256 haircut = IHaircuts(registry).haircutBps(i);
            if (haircut > BPS) haircut = BPS;
            value += Math.mulDiv(Math.mulDiv(inv, _feed(prices, i), RAY), haircut, BPS);
        }
    }

    /// @inheritdoc IAuctionHouse
    function auction(uint256 id) external view returns (AuctionView memory v) {
        Sale memory s = _sales[id];
        if (s.lot == 0) revert AuctionHouse__NotRunning(id);
        (bool done, uint256 price) = _status(s);
        v = AuctionView(id, s.asset, s.lot, s.top, s.tic, price, done);
    }

    /// @inheritdoc IAuctionHouse
    function needsRedo(uint256 id) external view returns (bool) {
        Sale memory s = _sales[id];
        if (s.lot == 0) return false;
        (bool done, ) = _status(s);
        return done;
    }

    /// @inheritdoc IAuctionHouse
    function activeCount() external view returns (uint256) {
        return _active.length;
    }

    /// @inheritdoc IAuctionHouse
    /// @dev Order changes when an auction ends (the last one moves into its slot).
    function activeAuctions(uint256 offset, uint256 limit) external view returns (uint256[] memory ids) {
        if (limit > MAX_PAGE) revert AuctionHouse__PageTooLarge(limit);
        uint256 n = _active.length;
        if (offset >= n) return new uint256[](0);
        uint256 end = offset + limit < n ? offset + limit : n;
        ids = new uint256[](end - offset);
        for (uint256 i = offset; i < end; i++) ids[i - offset] = _active[i];
    }

    /// @inheritdoc IAuctionHouse
    function inventory(uint256 asset) external view returns (uint256) {
        return _inventory[asset];
    }

    /// @inheritdoc IAuctionHouse
    function token(uint256 asset) external view returns (address) {
        return address(_tokens[asset]);
    }

    /// @notice Number of collateral assets (index 0 is the settlement asset).
    function assetCount() external view returns (uint256) {
        return _tokens.length;
    }

    /// @inheritdoc IAuctionHouse
    function oraclePrice(uint256 asset) public view returns (uint256) {
        return _feed(oracle.assetPrices(), asset);
    }

    /// @notice Price of a curve after `elapsed` seconds from `top` with the current step and cut (RAY).
    function priceAt(uint256 top, uint256 elapsed) public view returns (uint256) {
        return Math.mulDiv(top, FixedPointMathLib.rpow(_params.cut, elapsed / _params.step, RAY), RAY);
    }

    // ---------------------------------------------------------------- internal

    /// @dev Checks and effects of a take: the slice, what it costs (rounded up), the dust rule.
    function _sell(
        uint256 id,
        uint256 maxAmount,
        uint256 maxPrice,
        address receiver
    ) private returns (uint256 asset, uint256 slice, uint256 owe) {
        Sale memory s = _sales[id];
        if (s.lot == 0) revert AuctionHouse__NotRunning(id);
        (bool done, uint256 price) = _status(s);
        if (done) revert AuctionHouse__NeedsRedo(id);
        if (price > maxPrice) revert AuctionHouse__TooExpensive(price, maxPrice);

        slice = maxAmount < s.lot ? maxAmount : s.lot;
        owe = Math.mulDiv(slice, price, RAY, Math.Rounding.Ceil);
        if (owe == 0) revert AuctionHouse__ZeroAmount();
        uint256 rest = s.lot - slice;
        if (rest > 0) {
            uint256 restValue = Math.mulDiv(rest, price, RAY);
            uint256 chost = _params.chost;
            if (restValue < chost) revert AuctionHouse__Dust(rest, restValue, chost);
        }

        asset = s.asset;
        _inventory[asset] -= slice;
        if (rest == 0) _remove(id, s.pos);
        else _sales[id].lot = uint128(rest);
        emit Take(id, msg.sender, receiver, price, slice, owe, rest);
    }

    function _status(Sale memory s) private view returns (bool done, uint256 price) {
        uint256 elapsed = block.timestamp - s.tic;
        price = priceAt(s.top, elapsed);
        done = elapsed > _params.tail || Math.mulDiv(price, RAY, s.top) < _params.cusp;
    }

    function _top(uint256 asset) private view returns (uint256 top) {
        top = Math.mulDiv(oraclePrice(asset), _params.buf, RAY);
        if (top == 0) revert AuctionHouse__ZeroPrice(asset);
    }

    /// @dev (price_asset / price_settlement) x 10^dec_settlement / 10^dec_asset, as a RAY.
    function _feed(uint64[] memory prices, uint256 asset) private view returns (uint256) {
        if (asset == 0 || asset >= _tokens.length || asset >= prices.length) revert AuctionHouse__BadAsset(asset);
        return
            Math.mulDiv(uint256(prices[asset]) * 10 ** _decimals[0], RAY, uint256(prices[0]) * 10 ** _decimals[asset]);
    }

    /// @dev The callback never goes to a contract the house trusts or moves: a token, the fund, the
    ///      registry or the house itself.
    function _requireCallee(address receiver) private view {
        if (receiver == address(this) || receiver == address(fund) || receiver == registry || receiver.code.length == 0)
            revert AuctionHouse__BadReceiver(receiver);
        for (uint256 i = 0; i < _tokens.length; i++) {
            if (receiver == address(_tokens[i])) revert AuctionHouse__BadReceiver(receiver);
        }
    }

    function _remove(uint256 id, uint256 pos) private {
        uint256 last = _active[_active.length - 1];
        if (last != id) {
            _active[pos] = last;
            _sales[last].pos = uint32(pos);
        }
        _active.pop();
        delete _sales[id];
    }

    function _setParams(Params memory p) private {
        _check("buf", p.buf, MIN_BUF, MAX_BUF);
        _check("step", p.step, MIN_STEP, MAX_STEP);
        _check("cut", p.cut, MIN_CUT, MAX_CUT);
        _check("tail", p.tail, MIN_TAIL, MAX_TAIL);
        _check("cusp", p.cusp, MIN_CUSP, MAX_CUSP);
        uint256 unit = 10 ** _decimals[0];
        _check("chost", p.chost, 0, MAX_CHOST_UNITS * unit);
        _check("chip", p.chip, 0, MAX_CHIP);
        _check("tip", p.tip, 0, MAX_TIP_UNITS * unit);
        _params = p;
        emit ParamsSet(p);
    }

    function _check(string memory name, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) revert AuctionHouse__BadParameter(name, value);
    }
}
