// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Proof, ISolvencyVerifier, IUpdateVerifier, IEquityVerifier} from "../interfaces/IVerifiers.sol";
import {OracleAdapter} from "../oracle/OracleAdapter.sol";
import {CollateralVault} from "../vault/CollateralVault.sol";
import {PublicInputs} from "./PublicInputs.sol";
import {RegistryConfig} from "./RegistryConfig.sol";

/// @title ZkMarginRegistry
/// @notice Private-margin accounts: the chain holds a Poseidon commitment to each account's positions and
///         public collateral. Every position change goes through an Update proof; a keeper may challenge an
///         account whose last proof is stale, the owner (or any relayer) answers with a Solvency proof at
///         the pinned prices, and an account that does not answer in time is liquidated. An owner who was
///         offline later claims equity minus the penalty with an Equity proof.
/// @dev Every public input is rebuilt from storage; replay protection is the per-account nonce inside
///      the context (never proof bytes: Groth16 proofs are malleable).
contract ZkMarginRegistry is RegistryConfig, CollateralVault {
    enum Status {
        None,
        Active,
        Liquidated,
        Closed
    }

    struct Account {
        uint256 commitment;
        uint64 nonce; // bumped by every update, challenge and proactive proof
        uint64 provenAt; // time of the last proof's price snapshot
        Status status;
        uint256 provenPrices; // 4 x uint64 market prices of the last proof
    }

    struct Challenge {
        uint256 snapshotHash;
        uint256 marketPrices; // pinned, packed
        uint256 assetPrices; // pinned, packed
        address challenger;
        uint40 deadline; // 0 = no open challenge
        uint40 pinnedAt;
        uint40 pauseClockAt;
        uint128 bond;
        uint64 nonce;
    }

    struct Liquidation {
        uint256 marketPrices;
        uint256 assetPrices;
        uint128 value; // V seized at the pinned prices
        uint64 nonce; // the expired challenge's nonce (the Equity proof's context)
        uint40 claimUntil; // end of the claim window, fixed at liquidation
        uint16 penaltyBps; // penalty in force at liquidation (later governance changes do not apply)
    }

    struct UpdateArgs {
        uint256 newCommitment;
        int256 pnl; // realised PnL in value units (signed)
        uint256 withdrawAsset;
        uint256 withdrawAmount;
    }

    OracleAdapter public immutable oracle;
    ISolvencyVerifier public immutable solvencyVerifier;
    IUpdateVerifier public immutable updateVerifier;
    IEquityVerifier public immutable equityVerifier;

    mapping(address account => Account) internal _accounts;
    mapping(address account => Challenge) internal _challenges;
    mapping(address account => Liquidation) internal _liquidations;
    /// @notice Wei owed to an address whose direct bond payment failed (pull with withdrawCredit).
    mapping(address => uint256) public ethCredit;

    error Registry__AccountExists();
    error Registry__NotActive(address account);
    error Registry__Challenged(address account);
    error Registry__NoOpenChallenge(address account);
    error Registry__NotStale(address account);
    error Registry__WrongBond(uint256 sent, uint256 bond);
    error Registry__DeadlinePassed(uint256 deadline);
    error Registry__DeadlineNotPassed(uint256 deadline);
    error Registry__ExclusivePeriod(address challenger, uint256 until);
    error Registry__ProofInvalid();
    error Registry__NotLiquidated(address account);
    error Registry__ClaimWindowOver(uint256 until);
    error Registry__NothingToWithdraw();
    error Registry__TransferFailed();

    event AccountOpened(address indexed account, uint256 commitment);
    event Deposited(address indexed account, uint256 indexed asset, uint256 amount);
    event Updated(
        address indexed account,
        uint64 nonce,
        uint256 commitment,
        int256 pnl,
        uint256 withdrawAsset,
        uint256 withdrawAmount
    );
    event Proven(address indexed account, uint64 nonce, uint256 prices, uint64 provenAt);
    event Challenged(
        address indexed account,
        uint64 nonce,
        address indexed challenger,
        uint256 deadline,
        uint256 prices,
        uint256 snapshotHash
    );
    event Responded(address indexed account, uint64 nonce, address indexed relayer);
    event Liquidated(
        address indexed account,
        uint64 nonce,
        address indexed liquidator,
        uint256 value,
        uint256 bountyValue
    );
    event Claimed(address indexed account, uint256 equity, uint256 payoutValue, uint256 payoutTokens);
    event CreditWithdrawn(address indexed to, uint256 amount);

    // A constructor argument, never stored.
    // solhint-disable-next-line gas-struct-packing
    struct Deployment {
        address owner;
        OracleAdapter oracle;
        ISolvencyVerifier solvencyVerifier;
        IUpdateVerifier updateVerifier;
        IEquityVerifier equityVerifier;
        address[] tokens; // tokens[0] is the settlement asset
        uint16[] haircutsBps;
        Timing timing;
        Incentives incentives;
        uint16[MARKETS] mmBps;
        uint16[MARKETS] imBps;
    }

    constructor(Deployment memory d) Ownable(d.owner) CollateralVault(d.tokens, d.haircutsBps) {
        if (d.oracle.assetCount() != d.tokens.length) revert Registry__BadParameter("oracle assets");
        oracle = d.oracle;
        solvencyVerifier = d.solvencyVerifier;
        updateVerifier = d.updateVerifier;
        equityVerifier = d.equityVerifier;
        _setTiming(d.timing);
        _setIncentives(d.incentives);
        _setRatios(d.mmBps, d.imBps);
    }

    // ---------------------------------------------------------------- accounts and collateral

    /// @notice Opens the caller's account at the public empty state (no positions).
    function openAccount() external {
        Account storage acc = _accounts[msg.sender];
        if (acc.status != Status.None) revert Registry__AccountExists();
        acc.commitment = PublicInputs.EMPTY_COMMITMENT;
        acc.status = Status.Active;
        emit AccountOpened(msg.sender, PublicInputs.EMPTY_COMMITMENT);
        _setProven(msg.sender, acc, PublicInputs.pack(oracle.marketPrices()), uint64(block.timestamp));
    }

    /// @notice Adds collateral to the caller's account (allowed while challenged: top-ups help).
    function deposit(uint256 asset, uint256 amount) external nonReentrant {
        _active(msg.sender);
        uint256 received = _pull(asset, msg.sender, amount);
        _collateral[msg.sender][asset] += received;
        emit Deposited(msg.sender, asset, received);
    }

    /// @notice Applies one private state transition (trade or withdrawal) proven by an Update proof.
    /// @dev Public inputs: [C, C', V', pnl, context(nonce), P_1..P_4, im_1..im_4]; V' is computed here after
    ///      settling pnl against the fund and debiting the withdrawal. Use previewUpdate() to prove.
    function update(UpdateArgs calldata u, Proof calldata proof) external nonReentrant {
        Account storage acc = _active(msg.sender);
        if (_challenges[msg.sender].deadline != 0) revert Registry__Challenged(msg.sender);
        PublicInputs.requireField(u.newCommitment);
        uint256[13] memory s;
        s[3] = PublicInputs.encodeSigned(u.pnl);
        uint64[4] memory prices = oracle.marketPrices();
        uint64[] memory assetPrices = oracle.assetPrices();
        _settle(msg.sender, u.pnl, assetPrices[0]);
        if (u.withdrawAmount > 0) _debit(msg.sender, u.withdrawAsset, u.withdrawAmount);
        s[0] = acc.commitment;
        s[1] = u.newCommitment;
        s[2] = _value(msg.sender, assetPrices);
        s[4] = PublicInputs.context(msg.sender, acc.nonce);
        for (uint256 j = 0; j < MARKETS; j++) {
            s[5 + j] = prices[j];
            s[9 + j] = _imBps[j];
        }
        if (!updateVerifier.verifyProof(proof.a, proof.b, proof.c, s)) revert Registry__ProofInvalid();
        acc.commitment = u.newCommitment;
        acc.nonce += 1;
        emit Updated(msg.sender, acc.nonce, u.newCommitment, u.pnl, u.withdrawAsset, u.withdrawAmount);
        _setProven(msg.sender, acc, PublicInputs.pack(prices), uint64(block.timestamp));
        if (u.withdrawAmount > 0) _push(u.withdrawAsset, msg.sender, u.withdrawAmount);
    }

    /// @notice What update() will use right now: V' after settling `pnl` and the withdrawal, the market
    ///         prices and the context. The prover proves against these.
    function previewUpdate(
        address account,
        int256 pnl,
        uint256 withdrawAsset,
        uint256 withdrawAmount
    ) external view returns (uint256 valueAfter, uint64[4] memory prices, uint256 ctx) {
        Account storage acc = _accounts[account];
        prices = oracle.marketPrices();
        uint64[] memory assetPrices = oracle.assetPrices();
        uint256[MAX_ASSETS] memory bal = _collateral[account];
        if (pnl > 0) bal[0] += _tokensFor(0, uint256(pnl), assetPrices[0], Math.Rounding.Floor);
        if (pnl < 0) {
            uint256 loss = _tokensFor(0, uint256(-pnl), assetPrices[0], Math.Rounding.Ceil);
            if (bal[0] < loss) revert Vault__InsufficientCollateral(0, bal[0], loss);
            bal[0] -= loss;
        }
        if (withdrawAmount > 0) {
            if (withdrawAsset >= _assets.length) revert Vault__UnknownAsset(withdrawAsset);
            if (bal[withdrawAsset] < withdrawAmount)
                revert Vault__InsufficientCollateral(withdrawAsset, bal[withdrawAsset], withdrawAmount);
            bal[withdrawAsset] -= withdrawAmount;
        }
        valueAfter = _valueOf(bal, assetPrices);
        ctx = PublicInputs.context(account, acc.nonce);
    }

    // ---------------------------------------------------------------- challenge protocol

    /// @notice Challenges a stale account (posting the bond): pins the oracle prices and opens a
    ///         response window. Stale = last proof older than the freshness period, or a market price
    ///         moved more than the band since it.
    function challenge(address account) external payable {
        _whenNotPaused();
        Incentives memory inc = incentives;
        if (msg.value != inc.bond) revert Registry__WrongBond(msg.value, inc.bond);
        uint64[4] memory prices = oracle.marketPrices();
        uint256 assetPrices = _packAssets(oracle.assetPrices());
        if (!_challengeable(account, prices, inc.bandBps)) revert Registry__NotStale(account);
        _open(account, prices, PublicInputs.listHash(prices), assetPrices, inc.bond);
    }

    /// @notice Challenges every challengeable account of `accounts` with one oracle read; skips the rest
    ///         and refunds their bonds. Returns how many were challenged.
    function challengeBatch(address[] calldata accounts) external payable returns (uint256 count) {
        _whenNotPaused();
        Incentives memory inc = incentives;
        uint64[4] memory prices = oracle.marketPrices();
        uint256 assetPrices = _packAssets(oracle.assetPrices());
        uint256 pricesHash;
        for (uint256 k = 0; k < accounts.length; k++) {
            if (!_challengeable(accounts[k], prices, inc.bandBps)) continue;
            if (pricesHash == 0) pricesHash = PublicInputs.listHash(prices);
            _open(accounts[k], prices, pricesHash, assetPrices, inc.bond);
            count++;
        }
        uint256 cost = count * inc.bond;
        if (msg.value < cost) revert Registry__WrongBond(msg.value, cost);
        if (msg.value > cost) _sendEth(msg.sender, msg.value - cost);
    }

    /// @notice Answers the open challenge of `account` with a Solvency proof at the pinned snapshot.
    ///         Anyone may submit it (a relayer keeps the trader's address private); the bond goes to the
    ///         owner. Public inputs: [C, V, snapshotHash] with V at the pinned collateral prices.
    function respond(address account, Proof calldata proof) external {
        Challenge storage ch = _challenges[account];
        uint256 deadline = _openDeadline(account, ch);
        if (block.timestamp > deadline) revert Registry__DeadlinePassed(deadline);
        Account storage acc = _accounts[account];
        uint256[3] memory s = [acc.commitment, _value(account, _unpackAssets(ch.assetPrices)), ch.snapshotHash];
        if (!solvencyVerifier.verifyProof(proof.a, proof.b, proof.c, s)) revert Registry__ProofInvalid();
        uint64 nonce = ch.nonce;
        uint256 bond = ch.bond;
        uint256 prices = ch.marketPrices;
        uint64 pinnedAt = ch.pinnedAt;
        delete _challenges[account];
        emit Responded(account, nonce, msg.sender);
        _setProven(account, acc, prices, pinnedAt);
        _sendEth(account, bond);
    }

    /// @notice The owner refreshes freshness proactively with a Solvency proof at current prices.
    ///         Public inputs: [C, V, Poseidon(context(nonce), Poseidon(P), mmHash)].
    function prove(Proof calldata proof) external {
        Account storage acc = _active(msg.sender);
        if (_challenges[msg.sender].deadline != 0) revert Registry__Challenged(msg.sender);
        uint64[4] memory prices = oracle.marketPrices();
        uint256 snapshot = PublicInputs.snapshotHash(
            PublicInputs.context(msg.sender, acc.nonce),
            PublicInputs.listHash(prices),
            mmHash
        );
        uint256[3] memory s = [acc.commitment, _value(msg.sender, oracle.assetPrices()), snapshot];
        if (!solvencyVerifier.verifyProof(proof.a, proof.b, proof.c, s)) revert Registry__ProofInvalid();
        acc.nonce += 1;
        _setProven(msg.sender, acc, PublicInputs.pack(prices), uint64(block.timestamp));
    }

    /// @notice Liquidates an account whose challenge expired: the liquidator receives the bounty (a share
    ///         of every seized asset, bountyBps of V capped at bountyCap), the challenger its bond back, and
    ///         the rest goes to the insurance fund. Positions are deemed closed at the pinned snapshot.
    function liquidate(address account) external nonReentrant {
        uint256[MAX_ASSETS] memory bounty;
        _liquidate(account, bounty, true);
        _payBounty(bounty);
    }

    /// @notice Liquidates every liquidatable account of `accounts`; skips the rest. Returns the count.
    function liquidateBatch(address[] calldata accounts) external nonReentrant returns (uint256 count) {
        uint256[MAX_ASSETS] memory bounty;
        for (uint256 k = 0; k < accounts.length; k++) {
            if (_liquidate(accounts[k], bounty, false)) count++;
        }
        _payBounty(bounty);
    }

    /// @notice A liquidated owner claims equity at the liquidation snapshot minus the penalty, proven by an
    ///         Equity proof, within the claim window. Public inputs: [equity, C, V, context, P_1..P_4].
    function claim(uint256 equity, Proof calldata proof) external nonReentrant {
        Account storage acc = _accounts[msg.sender];
        if (acc.status != Status.Liquidated) revert Registry__NotLiquidated(msg.sender);
        Liquidation memory liq = _liquidations[msg.sender];
        if (block.timestamp > liq.claimUntil) revert Registry__ClaimWindowOver(liq.claimUntil);
        PublicInputs.requireField(equity);
        uint64[4] memory prices = PublicInputs.unpack(liq.marketPrices);
        uint256[8] memory s;
        s[0] = equity;
        s[1] = acc.commitment;
        s[2] = liq.value;
        s[3] = PublicInputs.context(msg.sender, liq.nonce);
        for (uint256 j = 0; j < MARKETS; j++) s[4 + j] = prices[j];
        if (!equityVerifier.verifyProof(proof.a, proof.b, proof.c, s)) revert Registry__ProofInvalid();
        uint256 penalty = (uint256(liq.value) * liq.penaltyBps) / 10_000;
        uint256 payoutValue = equity > penalty ? equity - penalty : 0;
        uint256 tokens = _tokensFor(0, payoutValue, _unpackAssets(liq.assetPrices)[0], Math.Rounding.Floor);
        acc.status = Status.Closed;
        _fundPay(0, tokens);
        emit Claimed(msg.sender, equity, payoutValue, tokens);
        _push(0, msg.sender, tokens);
    }

    /// @notice Withdraws wei owed to the caller (bonds whose direct payment failed).
    function withdrawCredit() external nonReentrant {
        uint256 amount = ethCredit[msg.sender];
        if (amount == 0) revert Registry__NothingToWithdraw();
        ethCredit[msg.sender] = 0;
        emit CreditWithdrawn(msg.sender, amount);
        (bool ok, ) = msg.sender.call{value: amount}("");
        if (!ok) revert Registry__TransferFailed();
    }

    /// @notice Sets a collateral asset's haircut (owner), within (0, 100%].
    function setHaircut(uint256 asset, uint16 haircutBps) external onlyOwner {
        _setHaircut(asset, haircutBps);
    }

    // ---------------------------------------------------------------- views

    /// @notice Public view of an account (no position field exists on chain).
    function accountOf(address account) external view returns (Account memory) {
        return _accounts[account];
    }

    /// @notice The open challenge of an account (deadline 0 = none).
    function challengeOf(address account) external view returns (Challenge memory) {
        return _challenges[account];
    }

    /// @notice The liquidation record of an account.
    function liquidationOf(address account) external view returns (Liquidation memory) {
        return _liquidations[account];
    }

    /// @notice Deadline of the open challenge, extended by any pause since it was made.
    function deadlineOf(address account) external view returns (uint256) {
        return _openDeadline(account, _challenges[account]);
    }

    /// @notice Whether `account` may be challenged at current oracle prices.
    function isChallengeable(address account) external view returns (bool) {
        return _challengeable(account, oracle.marketPrices(), incentives.bandBps);
    }

    /// @notice Collateral value at the open challenge's pinned prices (what respond() will use).
    function pinnedValue(address account) external view returns (uint256) {
        return _value(account, _unpackAssets(_challenges[account].assetPrices));
    }

    /// @notice Collateral value of an account at current oracle prices (value units).
    function collateralValue(address account) external view returns (uint256) {
        return _value(account, oracle.assetPrices());
    }

    // ---------------------------------------------------------------- internals

    function _active(address account) internal view returns (Account storage acc) {
        acc = _accounts[account];
        if (acc.status != Status.Active) revert Registry__NotActive(account);
    }

    function _setProven(address account, Account storage acc, uint256 prices, uint64 at) internal {
        acc.provenPrices = prices;
        acc.provenAt = at;
        emit Proven(account, acc.nonce, prices, at);
    }

    function _challengeable(address account, uint64[4] memory prices, uint16 bandBps) internal view returns (bool) {
        Account storage acc = _accounts[account];
        if (acc.status != Status.Active || _challenges[account].deadline != 0) return false;
        if (block.timestamp > uint256(acc.provenAt) + timing.freshness) return true;
        uint64[4] memory proven = PublicInputs.unpack(acc.provenPrices);
        for (uint256 j = 0; j < MARKETS; j++) {
            uint256 a = prices[j];
            uint256 b = proven[j];
            uint256 diff = a > b ? a - b : b - a;
            if (diff * 10_000 > uint256(bandBps) * b) return true;
        }
        return false;
    }

    function _open(
        address account,
        uint64[4] memory prices,
        uint256 pricesHash,
        uint256 assetPrices,
        uint128 bond
    ) internal {
        Account storage acc = _accounts[account];
        uint64 nonce = acc.nonce + 1;
        acc.nonce = nonce;
        uint256 snapshot = PublicInputs.snapshotHash(PublicInputs.context(account, nonce), pricesHash, mmHash);
        uint256 deadline = block.timestamp + timing.responseWindow;
        uint256 packed = PublicInputs.pack(prices);
        _challenges[account] = Challenge({
            snapshotHash: snapshot,
            marketPrices: packed,
            assetPrices: assetPrices,
            challenger: msg.sender,
            deadline: uint40(deadline),
            pinnedAt: uint40(block.timestamp),
            pauseClockAt: uint40(pauseClock()),
            bond: bond,
            nonce: nonce
        });
        emit Challenged(account, nonce, msg.sender, deadline, packed, snapshot);
    }

    function _openDeadline(address account, Challenge storage ch) internal view returns (uint256) {
        uint256 deadline = ch.deadline;
        if (deadline == 0) revert Registry__NoOpenChallenge(account);
        return deadline + pauseClock() - ch.pauseClockAt;
    }

    /// @dev Returns false instead of reverting when `strict` is false (batches skip what they cannot do).
    function _liquidate(address account, uint256[MAX_ASSETS] memory bounty, bool strict) internal returns (bool) {
        Challenge storage ch = _challenges[account];
        if (ch.deadline == 0) {
            if (strict) revert Registry__NoOpenChallenge(account);
            return false;
        }
        if (challengesPaused) {
            if (strict) revert Registry__Paused();
            return false;
        }
        uint256 deadline = _openDeadline(account, ch);
        if (block.timestamp <= deadline) {
            if (strict) revert Registry__DeadlineNotPassed(deadline);
            return false;
        }
        uint256 exclusiveUntil = deadline + timing.exclusivePeriod;
        if (block.timestamp <= exclusiveUntil && msg.sender != ch.challenger) {
            if (strict) revert Registry__ExclusivePeriod(ch.challenger, exclusiveUntil);
            return false;
        }
        Challenge memory c = ch;
        uint256 value = _value(account, _unpackAssets(c.assetPrices));
        uint256 bountyValue = Math.min((value * incentives.bountyBps) / 10_000, incentives.bountyCap);
        uint256[MAX_ASSETS] storage bal = _collateral[account];
        uint256 n = _assets.length;
        for (uint256 i = 0; i < n; i++) {
            uint256 b = bal[i];
            if (b == 0) continue;
            uint256 share = value == 0 ? 0 : Math.mulDiv(b, bountyValue, value);
            bal[i] = 0;
            _fund[i] += b - share;
            bounty[i] += share;
        }
        _liquidations[account] = Liquidation({
            marketPrices: c.marketPrices,
            assetPrices: c.assetPrices,
            value: uint128(value),
            nonce: c.nonce,
            claimUntil: uint40(block.timestamp + timing.claimWindow),
            penaltyBps: incentives.penaltyBps
        });
        _accounts[account].status = Status.Liquidated;
        delete _challenges[account];
        emit Liquidated(account, c.nonce, msg.sender, value, bountyValue);
        _sendEth(c.challenger, c.bond);
        return true;
    }

    function _payBounty(uint256[MAX_ASSETS] memory bounty) internal {
        for (uint256 i = 0; i < _assets.length; i++) _push(i, msg.sender, bounty[i]);
    }

    /// @dev Realised gains are paid by the fund (rounded down), losses go to it (rounded up), in the
    ///      settlement asset at its current price.
    function _settle(address account, int256 pnl, uint64 settlementPrice) internal {
        if (pnl > 0) {
            uint256 tokens = _tokensFor(0, uint256(pnl), settlementPrice, Math.Rounding.Floor);
            _fundPay(0, tokens);
            _collateral[account][0] += tokens;
        } else if (pnl < 0) {
            uint256 tokens = _tokensFor(0, uint256(-pnl), settlementPrice, Math.Rounding.Ceil);
            _debit(account, 0, tokens);
            _fund[0] += tokens;
        }
    }

    /// @dev Pays wei with a bounded gas stipend; a recipient that refuses it is credited instead, so a
    ///      reverting owner or challenger cannot block respond or liquidate.
    function _sendEth(address to, uint256 amount) internal {
        if (amount == 0) return;
        (bool ok, ) = to.call{value: amount, gas: 10_000}("");
        if (!ok) ethCredit[to] += amount;
    }

    function _valueOf(uint256[MAX_ASSETS] memory bal, uint64[] memory prices) internal view returns (uint256 v) {
        for (uint256 i = 0; i < _assets.length; i++) {
            if (bal[i] != 0) v += _assetValue(i, bal[i], prices[i]);
        }
    }

    function _packAssets(uint64[] memory prices) internal pure returns (uint256 w) {
        for (uint256 i = 0; i < prices.length; i++) w |= uint256(prices[i]) << (64 * i);
    }

    function _unpackAssets(uint256 w) internal view returns (uint64[] memory prices) {
        prices = new uint64[](_assets.length);
        for (uint256 i = 0; i < prices.length; i++) prices[i] = uint64(w >> (64 * i));
    }
}
