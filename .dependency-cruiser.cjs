/**
 * One dependency direction (STYLE.md "Layout"; `npm run deps`, run by .ci/run):
 *   core/  <-  prover/, keeper/, relayer/  <-  scripts/, bench/  <-  test/
 * core/ uses none of the parts; the runtime parts do not use each other, scripts/, bench/ or test/; nothing
 * outside test/ imports test/; contract types come through core/contracts/index.ts only.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "core-uses-no-part",
      comment: "core/ is the bottom layer: it must not import any part that builds on it.",
      severity: "error",
      from: { path: "^core/" },
      to: { path: "^(prover|keeper|relayer|scripts|bench|test)/" },
    },
    {
      name: "runtime-uses-no-tools",
      comment: "prover/, keeper/ and relayer/ run on their own: no import of scripts/, bench/ or test/.",
      severity: "error",
      from: { path: "^(prover|keeper|relayer)/" },
      to: { path: "^(scripts|bench|test)/" },
    },
    {
      name: "keeper-not-prover",
      comment: "What the keeper shares with the prover lives in core/.",
      severity: "error",
      from: { path: "^keeper/" },
      to: { path: "^prover/" },
    },
    {
      name: "prover-not-keeper",
      comment: "What the prover shares with the keeper lives in core/.",
      severity: "error",
      from: { path: "^prover/" },
      to: { path: "^(keeper|relayer)/" },
    },
    {
      name: "relayer-not-prover-or-keeper",
      comment: "What the relayer shares with the prover or the keeper lives in core/.",
      severity: "error",
      from: { path: "^relayer/" },
      to: { path: "^(prover|keeper)/" },
    },
    {
      name: "keeper-not-relayer",
      comment: "What the keeper shares with the relayer lives in core/.",
      severity: "error",
      from: { path: "^keeper/" },
      to: { path: "^relayer/" },
    },
    {
      name: "nothing-imports-test",
      comment: "test/ may use everything; nothing else may use test/ (move runtime helpers to scripts/lib/).",
      severity: "error",
      from: { pathNot: "^test/" },
      to: { path: "^test/" },
    },
    {
      name: "contract-types-through-core-contracts",
      comment: "Runtime code imports contract types and factories from core/contracts (its index.ts).",
      severity: "error",
      from: { pathNot: "^(core/contracts/|test/)" },
      to: { path: "^core/contracts/typechain/" },
    },
  ],
  options: {
    includeOnly: "^(core|prover|keeper|relayer|scripts|bench|test)/",
    doNotFollow: { path: ["node_modules", "^core/contracts/typechain/"] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js", ".json"] },
  },
};
