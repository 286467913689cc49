// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Governed} from "../governance/Governed.sol";
import {IZkMarginRegistry} from "../interfaces/IZkMarginRegistry.sol";
import {IOracleAdapterV2, IRiskRatios, IFundPayer, IAuctionKicker} from "../interfaces/IProtocol.sol";
import {
    Proof,
    IUpdateVerifier,
    ICertificateVerifier,
    IDeleverageVerifier,
    IEquityVerifier,
    IBatchCertificateVerifier
} from "../interfaces/IVerifiers.sol";
import {PublicInputs} from "./PublicInputs.sol";
import {Types} from "./Types.sol";
import {Bounds} from "./Bounds.sol";
import {AccountLogic} from "./logic/AccountLogic.sol";
import {ChallengeLogic} from "./logic/ChallengeLogic.sol";
import {LiquidationLogic} from "./logic/LiquidationLogic.sol";

/// @title ZkMarginRegistry
/// @notice Private-margin accounts: the chain holds a Poseidon commitment to each account's positions and
///         cash, its public collateral, and the hash of its latest certificate (equity >= maintenance over a
///         price box). A keeper may challenge an account whose certificate broke (stale, a price left its
///         box, a collateral price fell, a ratio or haircut got stricter); the owner, or anyone for it,
///         answers with a Certificate at the pinned prices or a private Deleverage at current prices; an
///         account that does not answer is liquidated at the oracle's prices at liquidation time, and its
///         owner may later claim up to its equity there, minus the penalty.
/// @dev Storage and entry points live here; the logic runs in external libraries (Aave v3's pattern)
///      on this contract's storage. Every public input is rebuilt from storage (PublicInputs); replay
///      protection is the per-account nonce inside a domain-separated context, never proof bytes.
contract ZkMarginRegistry is IZkMarginRegistry, Governed, ReentrancyGuard {
    using SafeERC20 for IERC20;

    uint256 public constant MARKETS = 4;
    uint256 public constant MAX_ASSETS = 4;

    IOracleAdapterV2 public immutable oracle;
    IRiskRatios public immutable risk;
    IFundPayer public immutable fund;
    IAuctionKicker public immutable auction;
    IUpdateVerifier public immutable updateVerifier;
    ICertificateVerifier public immutable certificateVerifier;
    IDeleverageVerifier public immutable deleverageVerifier;
    IEquityVerifier public immutable equityVerifier;
    IBatchCertificateVerifier public immutable batchVerifier;
    uint256 public immutable assetCount;
    address internal immutable _token0;
    address internal immutable _token1;
    address internal immutable _token2;
    address internal immutable _token3;
    uint256 internal immutable _decimalsPacked;

    Types.State internal _s;

    // A constructor argument, never stored.
    // solhint-disable-next-line gas-struct-packing
    struct Deployment {
        address owner; // the timelock
        IOracleAdapterV2 oracle;
        IRiskRatios risk;
        IFundPayer fund;
        IAuctionKicker auction;
        IUpdateVerifier updateVerifier;
        ICertificateVerifier certificateVerifier;
        IDeleverageVerifier deleverageVerifier;
        IEquityVerifier equityVerifier;
        IBatchCertificateVerifier batchVerifier;
        address[] tokens; // tokens[0] is the settlement asset
        uint64 haircuts;
        Types.Timing timing;
        Types.Incentives incentives;
        Types.Deleverage deleverage;
    }

    constructor(Deployment memory d) Ownable(d.owner) {
        uint256 n = d.tokens.length;
        if (n == 0 || n > MAX_ASSETS || d.oracle.assetCount() != n) revert Registry__BadAssets();
        oracle = d.oracle;
        risk = d.risk;
        fund = d.fund;
        auction = d.auction;
        updateVerifier = d.updateVerifier;
        certificateVerifier = d.certificateVerifier;
        deleverageVerifier = d.deleverageVerifier;
        equityVerifier = d.equityVerifier;
        batchVerifier = d.batchVerifier;
        assetCount = n;
        address[4] memory t;
        uint256 dec;
        for (uint256 i = 0; i < n; i++) {
            t[i] = d.tokens[i];
            dec |= uint256(IERC20Metadata(d.tokens[i]).decimals()) << (8 * i);
        }
        (_token0, _token1, _token2, _token3, _decimalsPacked) = (t[0], t[1], t[2], t[3], dec);
        Bounds.requireHaircuts(d.haircuts, n);
        Bounds.requireTiming(d.timing);
        Bounds.requireIncentives(d.incentives);
        Bounds.requireDeleverage(d.deleverage);
        _s.haircuts = d.haircuts;
        _s.timing = d.timing;
        _s.incentives = d.incentives;
        _s.deleverage = d.deleverage;
        emit HaircutsSet(d.haircuts);
        emit TimingSet(d.timing);
        emit IncentivesSet(d.incentives);
        emit DeleverageSet(d.deleverage);
    }

    // ---------------------------------------------------------------- accounts and collateral

    /// @notice Opens the caller's account at the public empty state, with a certificate that holds
    ///         anywhere (the empty state is solvent at every price).
    function openAccount() external {
        Types.Account storage acc = _s.accounts[msg.sender];
        if (acc.status != Types.Status.None) revert Registry__AccountExists(msg.sender);
        acc.commitment = PublicInputs.EMPTY_COMMITMENT;
        acc.status = Types.Status.Active;
        emit AccountOpened(msg.sender, PublicInputs.EMPTY_COMMITMENT);
        uint256 marketPrices;
        uint256 assetPrices;
        {
            uint64[4] memory p = oracle.marketPrices();
            marketPrices = uint256(p[0]) | (uint256(p[1]) << 64) | (uint256(p[2]) << 128) | (uint256(p[3]) << 192);
            uint64[] memory a = oracle.assetPrices();
            for (uint256 i = 0; i < a.length; i++) assetPrices |= uint256(a[i]) << (64 * i);
        }
        Types.Cert memory c = Types.Cert(
            uint40(block.timestamp),
            10_000,
            0x2710271027102710,
            0,
            marketPrices,
            assetPrices
        );
        acc.certHash = keccak256(abi.encode(c));
        emit Certified(msg.sender, 0, c);
    }

    /// @notice Adds collateral to the caller's account (allowed while challenged: top-ups help).
    function deposit(uint256 asset, uint256 amount) external nonReentrant {
        if (_s.accounts[msg.sender].status != Types.Status.Active) revert Registry__NotActive(msg.sender);
        if (asset >= assetCount) revert Registry__UnknownAsset(asset);
        if (amount == 0) revert Registry__ZeroAmount();
        IERC20 token = IERC20(_token(asset));
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before; // fee-on-transfer tokens credit less
        _s.collateral[msg.sender][asset] += received;
        emit Deposited(msg.sender, asset, received);
    }

    /// @notice Applies one private state transition (trade, settlement and/or withdrawal) proven by an
    ///         Update proof. Public inputs: [C, C', ctx(UPDATE, nonce), w0, w1, w2] (docs/protocol-v2.md).
    function update(Types.UpdateArgs calldata u, Proof calldata proof) external nonReentrant {
        AccountLogic.update(_s, _env(), u, proof);
    }

    /// @notice Refreshes the caller's certificate at current prices (Certificate proof, PROVE context).
    function prove(uint16 d, uint64 pm, Proof calldata proof) external nonReentrant {
        AccountLogic.prove(_s, _env(), d, pm, proof);
    }

    // ---------------------------------------------------------------- challenges

    /// @notice Challenges an account whose certificate `cert` (as emitted in its latest Certified event)
    ///         broke, posting the bond; pins everything the challenge will be judged by.
    function challenge(address account, Types.Cert calldata cert) external payable nonReentrant whenNotPaused {
        ChallengeLogic.challenge(_s, _env(), account, cert);
    }

    /// @notice Challenges every challengeable account of `accounts` with one oracle read; skips the rest
    ///         and refunds their bonds. Returns how many were challenged.
    function challengeBatch(
        address[] calldata accounts,
        Types.Cert[] calldata certs
    ) external payable nonReentrant whenNotPaused returns (uint256) {
        return ChallengeLogic.challengeBatch(_s, _env(), accounts, certs);
    }

    /// @notice Answers an open challenge with a Certificate at the pinned prices (anyone may submit).
    function respond(
        address account,
        Types.ChallengeRecord calldata record,
        uint16 d,
        uint64 pm,
        Proof calldata proof
    ) external nonReentrant {
        ChallengeLogic.respond(_s, _env(), account, record, d, pm, proof);
    }

    /// @notice Answers many open challenges with one batched verification (k + 3 pairings).
    function respondBatch(Types.Answer[] calldata answers) external nonReentrant returns (uint256) {
        return ChallengeLogic.respondBatch(_s, _env(), answers);
    }

    /// @notice Answers an open challenge with a private partial deleverage at current prices.
    function respondDeleverage(
        address account,
        Types.ChallengeRecord calldata record,
        Types.DeleverageArgs calldata args,
        Proof calldata proof
    ) external nonReentrant {
        ChallengeLogic.respondDeleverage(_s, _env(), account, record, args, proof);
    }

    // ---------------------------------------------------------------- liquidation and claims

    /// @notice Liquidates an account whose challenge expired, at the oracle's prices now.
    function liquidate(address account, Types.ChallengeRecord calldata record) external nonReentrant whenNotPaused {
        LiquidationLogic.liquidate(_s, _env(), account, record);
    }

    /// @notice Liquidates every liquidatable account of `accounts`; skips the rest. Returns the count.
    function liquidateBatch(
        address[] calldata accounts,
        Types.ChallengeRecord[] calldata records
    ) external nonReentrant whenNotPaused returns (uint256) {
        return LiquidationLogic.liquidateBatch(_s, _env(), accounts, records, false);
    }

    /// @notice A liquidated owner claims up to equity minus the penalty at the liquidation's prices.
    function claim(
        Types.LiquidationRecord calldata record,
        uint256 claimed,
        Proof calldata proof
    ) external nonReentrant {
        LiquidationLogic.claim(_s, _env(), record, claimed, proof);
    }

    /// @notice Withdraws wei owed to the caller (bonds whose direct payment failed).
    function withdrawCredit() external nonReentrant {
        uint256 amount = _s.ethCredit[msg.sender];
        if (amount == 0) revert Registry__NothingToWithdraw();
        _s.ethCredit[msg.sender] = 0;
        emit CreditWithdrawn(msg.sender, amount);
        (bool ok, ) = msg.sender.call{value: amount}("");
        if (!ok) revert Registry__TransferFailed();
    }

    // ---------------------------------------------------------------- governance (through the timelock)

    /// @notice The timelock's minimum delay must exceed freshness + the longest window + the exclusive
    ///         period, so a trader sees every change coming and can exit before it bites.
    function requiredDelay() public view override returns (uint256) {
        Types.Timing memory t = _s.timing;
        return Bounds.requiredDelay(t);
    }

    function setTiming(Types.Timing calldata t) external onlyGovernance {
        Bounds.requireTiming(t);
        _s.timing = t;
        _requireDelay();
        emit TimingSet(t);
    }

    function setIncentives(Types.Incentives calldata i) external onlyGovernance {
        Bounds.requireIncentives(i);
        _s.incentives = i;
        emit IncentivesSet(i);
    }

    function setDeleverage(Types.Deleverage calldata d) external onlyGovernance {
        Bounds.requireDeleverage(d);
        _s.deleverage = d;
        emit DeleverageSet(d);
    }

    function setHaircuts(uint64 newHaircuts) external onlyGovernance {
        Bounds.requireHaircuts(newHaircuts, assetCount);
        _s.haircuts = newHaircuts;
        emit HaircutsSet(newHaircuts);
    }

    // ---------------------------------------------------------------- views

    /// @notice Public view of an account (no position field exists on chain).
    function accountOf(address account) external view returns (Types.Account memory) {
        return _s.accounts[account];
    }

    /// @notice An account's collateral balances, by asset.
    function collateralOf(address account) external view returns (uint256[4] memory) {
        return _s.collateral[account];
    }

    function timing() external view returns (Types.Timing memory) {
        return _s.timing;
    }

    function incentives() external view returns (Types.Incentives memory) {
        return _s.incentives;
    }

    function deleverageParams() external view returns (Types.Deleverage memory) {
        return _s.deleverage;
    }

    /// @notice Haircut of asset i at bits 16i (basis points of value kept).
    function haircuts() external view returns (uint64) {
        return _s.haircuts;
    }

    /// @notice Haircut of one asset (IHaircuts, for the auction house's NAV).
    function haircutBps(uint256 asset) external view returns (uint256) {
        return uint16(_s.haircuts >> (16 * asset));
    }

    function ethCredit(address who) external view returns (uint256) {
        return _s.ethCredit[who];
    }

    /// @notice Collateral tokens and decimals (index 0 is the settlement asset).
    function assets() external view returns (address[] memory tokens, uint8[] memory decimals) {
        tokens = new address[](assetCount);
        decimals = new uint8[](assetCount);
        for (uint256 i = 0; i < assetCount; i++) {
            tokens[i] = _token(i);
            decimals[i] = uint8(_decimalsPacked >> (8 * i));
        }
    }

    /// @notice The context of a proof for `account` (domain 1..5, docs/protocol-v2.md).
    function contextOf(uint256 domain, address account, uint256 nonce) external view returns (uint256) {
        return PublicInputs.context(domain, account, nonce);
    }

    // ---------------------------------------------------------------- internals

    function _token(uint256 i) internal view returns (address) {
        return
            i == 0
                ? _token0
                : i == 1
                    ? _token1
                    : i == 2
                        ? _token2
                        : _token3;
    }

    function _env() internal view returns (Types.Env memory e) {
        e.oracle = oracle;
        e.risk = risk;
        e.fund = fund;
        e.auction = auction;
        e.updateVerifier = updateVerifier;
        e.certificateVerifier = certificateVerifier;
        e.deleverageVerifier = deleverageVerifier;
        e.equityVerifier = equityVerifier;
        e.batchVerifier = batchVerifier;
        e.assetCount = assetCount;
        e.tokens = [_token0, _token1, _token2, _token3];
        uint256 dec = _decimalsPacked;
        e.decimals = [uint8(dec), uint8(dec >> 8), uint8(dec >> 16), uint8(dec >> 24)];
        e.pauseClock = pauseClock();
    }
}
