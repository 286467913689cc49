import { subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig } from "hardhat/config";
import "@nomicfoundation/hardhat-toolbox";

const SOLC_VERSION = "0.8.28";

// Compile offline with the solc-js build from the pinned npm `solc` package (no compiler download).
subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion !== SOLC_VERSION) return runSuper();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require("solc");
  return {
    compilerPath: require.resolve("solc/soljson.js"),
    isSolcJs: true,
    version: SOLC_VERSION,
    longVersion: solc.version() as string,
  };
});

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "cancun" },
  },
  paths: { sources: "./contracts", tests: "./test", cache: "./cache", artifacts: "./artifacts" },
  // two mocha workers (`hardhat test --parallel`): every test that needs a node starts its own on a free port
  mocha: { timeout: 300_000, jobs: 2 },
  networks: {
    hardhat: { allowUnlimitedContractSize: false },
    localhost: { url: process.env.ZKMARGIN_RPC ?? "http://127.0.0.1:8545" },
  },
  typechain: { outDir: "core/contracts/typechain", target: "ethers-v6" },
};

export default config;
