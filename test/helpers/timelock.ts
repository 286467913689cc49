/**
 * A real OpenZeppelin TimelockController as the owner of governed contracts, and the one path a
 * parameter change takes through it: schedule -> wait the minimum delay -> execute.
 */
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { type BytesLike, type ContractTransactionResponse, ZeroHash, id } from "ethers";
import { ethers } from "hardhat";
import type { TimelockController } from "../../core/contracts/typechain";

export const DAY = 86_400n;

/** A timelock with `minDelay` seconds whose proposer, executor and admin is `admin`. */
export async function deployTimelock(admin: HardhatEthersSigner, minDelay = 2n * DAY): Promise<TimelockController> {
  const factory = await ethers.getContractFactory("TimelockController", admin);
  const timelock = await factory.deploy(minDelay, [admin.address], [admin.address], admin.address);
  await timelock.waitForDeployment();
  return timelock as unknown as TimelockController;
}

let salt = 0;

/**
 * Schedules `target.call(calldata)` on the timelock, advances time by its minimum delay and executes it
 * (as the timelock's first proposer/executor, the signer it is connected to). Returns the execute
 * transaction; a revert in the target bubbles up through `execute`.
 */
export async function governed(
  timelock: TimelockController,
  target: { getAddress(): Promise<string> } | string,
  calldata: BytesLike,
): Promise<ContractTransactionResponse> {
  const to = typeof target === "string" ? target : await target.getAddress();
  const s = id(`governed-${salt++}`);
  const delay = await timelock.getMinDelay();
  await (await timelock.schedule(to, 0n, calldata, ZeroHash, s, delay)).wait();
  await time.increase(delay);
  return timelock.execute(to, 0n, calldata, ZeroHash, s);
}
