// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Proof} from "../interfaces/IVerifiers.sol";
import {IOracleAdapterV2, IRiskRatios, IFundPayer, IAuctionKicker} from "../interfaces/IProtocol.sol";
import {
    IUpdateVerifier,
    ICertificateVerifier,
    IDeleverageVerifier,
    IEquityVerifier,
    IBatchCertificateVerifier
} from "../interfaces/IVerifiers.sol";

/// @title Types
/// @notice The registry's storage layout and the records it keeps as hashes (Aave v3's DataTypes): the
///         registry holds one `State`, and the logic libraries (delegatecall) work on it.
library Types {
    uint256 internal constant MARKETS = 4;
    uint256 internal constant MAX_ASSETS = 4;
    uint256 internal constant BPS = 10_000;

    enum Status {
        None,
        Active,
        Liquidated,
        Closed
    }

    /// @dev Four storage slots: commitment; certificate hash; challenge or liquidation record hash;
    ///      nonce and status.
    struct Account {
        uint256 commitment;
        bytes32 certHash; // keccak256(abi.encode(Cert)) of the latest certificate
        bytes32 recordHash; // Active: the open challenge's record (0 = none); Liquidated: the liquidation's
        uint64 nonce; // bumped by every update, proof and challenge
        Status status;
    }

    /// @notice What an account last proved: equity >= maintenance over the box of half-width d around
    ///         the proven prices, with maintenance ratios pm and the haircuts in force.
    struct Cert {
        uint40 provenAt;
        uint16 d; // basis points
        uint64 pm; // proven maintenance ratios, 4 x uint16 (bits 16j)
        uint64 haircuts; // haircuts in force, 4 x uint16 (bits 16i)
        uint256 marketPrices; // 4 x uint64 (bits 64j)
        uint256 assetPrices; // 4 x uint64 (bits 64i)
    }

    /// @notice Everything an open challenge is judged by, pinned when it was made.
    struct ChallengeRecord {
        address challenger;
        uint64 nonce; // the account's nonce at the challenge (RESPOND / DELEVERAGE contexts)
        uint40 pinnedAt;
        uint40 deadline; // before pauses and sequencer outages
        uint64 pauseClockAt;
        uint128 bond;
        uint32 exclusivePeriod;
        uint16 targetFactorBps; // deleverage target: maintenance x targetFactor
        uint16 deleverageFeeBps;
        uint16 keeperShareBps; // the challenger's share of a deleverage fee
        uint64 mm; // maintenance ratios pinned, 4 x uint16
        uint64 haircuts; // haircuts pinned, 4 x uint16
        uint256 marketPrices;
        uint256 assetPrices;
    }

    /// @notice A liquidation at execution prices: positions deemed closed there; the claim uses them.
    struct LiquidationRecord {
        uint64 nonce; // CLAIM context
        uint40 claimUntil;
        uint128 value; // V seized, at liquidation-time asset prices and haircuts
        uint128 penalty; // penaltyBps x V, fixed at liquidation
        uint256 marketPrices;
        uint256 assetPrices;
    }

    struct Timing {
        uint32 freshness; // a certificate older than this may be challenged
        uint32 responseWindow; // base time to answer (stretched by congestion)
        uint32 exclusivePeriod; // after the deadline, only the challenger may liquidate
        uint32 claimWindow; // time for a liquidated owner to claim
        uint32 bountyRamp; // the bounty rises from min to max over this after the exclusive period
        uint32 maxStretchBps; // largest window multiplier under congestion (basis points, >= 10000)
        uint64 refBasefee; // basefee (wei) above which the window stretches
    }

    struct Incentives {
        uint128 bond; // wei posted with each challenge
        uint16 bountyMinBps;
        uint16 bountyMaxBps; // <= penaltyBps: self-liquidation never pays
        uint16 penaltyBps;
        uint16 relayerShareBps; // share of the bond paid to a respond submitter who is not the owner
        uint128 bountyCap; // value units
    }

    struct Deleverage {
        uint16 targetFactorBps; // >= 10000
        uint16 feeBps;
        uint16 keeperShareBps;
        uint40 minValue; // dust rule: collateral value of a non-empty account, in 1e12 value units
    }

    struct State {
        mapping(address account => Account) accounts;
        mapping(address account => uint256[MAX_ASSETS]) collateral;
        mapping(address => uint256) ethCredit;
        Timing timing;
        Incentives incentives;
        Deleverage deleverage;
        uint64 haircuts; // 4 x uint16, haircut of asset i at bits 16i (10000 = full value)
    }

    /// @notice The registry's immutables, handed to the logic libraries.
    struct Env {
        IOracleAdapterV2 oracle;
        IRiskRatios risk;
        IFundPayer fund;
        IAuctionKicker auction;
        IUpdateVerifier updateVerifier;
        ICertificateVerifier certificateVerifier;
        IDeleverageVerifier deleverageVerifier;
        IEquityVerifier equityVerifier;
        IBatchCertificateVerifier batchVerifier;
        uint256 assetCount;
        address[MAX_ASSETS] tokens; // tokens[0] is the settlement asset
        uint8[MAX_ASSETS] decimals;
        uint64 pauseClock; // seconds paused so far (deadlines extend by it)
    }

    struct UpdateArgs {
        uint256 newCommitment;
        int256 settle; // s: > 0 the fund pays the account, < 0 the account pays the fund (value units)
        uint256 withdrawAsset;
        uint256 withdrawAmount;
        uint16 d; // box half-width of the certificate the update proves
        uint64 pm; // proven maintenance ratios of that certificate
    }

    struct DeleverageArgs {
        uint256 newCommitment;
        uint256 fee; // value units; the circuit checks it is feeBps x reduced notional
        uint16 d;
        uint64 pm;
    }

    /// @notice One Certificate answer of a respondBatch.
    /// @dev Calldata only (never stored), so its field order does not cost storage slots.
    // solhint-disable-next-line gas-struct-packing
    struct Answer {
        address account;
        ChallengeRecord record;
        uint16 d;
        uint64 pm;
        Proof proof;
    }
}
