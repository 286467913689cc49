/**
 * The installable packages (issue 15 item 5): each is made with `npm pack` (scripts/pack.ts) and works
 * from its tarball alone, unpacked in a temporary folder: the CLIs print their --help from compiled
 * JavaScript (no ts-node, no repository files), and the contracts package loads its typechain factories
 * and ships ABIs, sources, the event reference and the example config. Dependencies resolve from the
 * repository's node_modules (linked into the folder): nothing is downloaded during tests.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { ROOT } from "../../core/artifacts";
import { pack } from "../../scripts/pack";

describe("installable packages (npm pack)", function () {
  this.timeout(300_000);
  let dir: string;
  let tarballs: string[];

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkm-pack-"));
    tarballs = pack(path.join(dir, "tarballs"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Unpacks a tarball into its own folder (as npm installs it), with node_modules linked. */
  function install(name: string): string {
    const tgz = tarballs.find((t) => path.basename(t).startsWith(`zkmargin-${name}-`));
    expect(tgz, `a ${name} tarball`).to.not.equal(undefined);
    const at = path.join(dir, name);
    fs.mkdirSync(at, { recursive: true });
    execFileSync("tar", ["-xzf", tgz!, "-C", at]);
    const pkg = path.join(at, "package");
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(pkg, "node_modules"), "dir");
    return pkg;
  }

  for (const [name, bin, usage] of [
    ["prover", "zkmargin", /Usage: zkm/],
    ["keeper", "zkmargin-keeper", /Usage: zkmargin-keeper/],
    ["relayer", "zkmargin-relayer", /Usage: zkmargin-relayer/],
  ] as const) {
    it(`@zkmargin/${name}: \`${bin} --help\` runs from the packed tarball`, () => {
      const pkg = install(name);
      const manifest = JSON.parse(fs.readFileSync(path.join(pkg, "package.json"), "utf8"));
      expect(manifest.name).to.equal(`@zkmargin/${name}`);
      const entry = manifest.bin[bin] as string;
      expect(entry).to.match(/^dist\/.*\.js$/);
      // nothing of the repository's TypeScript is in the package
      const ts = execFileSync("find", [pkg, "-name", "*.ts", "-not", "-path", "*/node_modules/*"], {
        encoding: "utf8",
      });
      expect(ts.trim()).to.equal("");
      const out = execFileSync(process.execPath, [path.join(pkg, entry), "--help"], {
        cwd: os.tmpdir(),
        encoding: "utf8",
        env: { ...process.env, NODE_PATH: "" },
      });
      expect(out).to.match(usage);
    });
  }

  it("@zkmargin/contracts: typechain factories, ABIs, sources, address books, event reference", () => {
    const pkg = install("contracts");
    const manifest = JSON.parse(fs.readFileSync(path.join(pkg, "package.json"), "utf8"));
    expect(manifest.main).to.equal("types/index.js");
    expect(fs.existsSync(path.join(pkg, "types", "index.d.ts"))).to.equal(true);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const types = require(path.join(pkg, manifest.main)) as Record<
      string,
      { createInterface(): { fragments: unknown[] } }
    >;
    expect(types.ZkMarginRegistry__factory.createInterface().fragments.length).to.be.greaterThan(20);
    for (const c of [
      "ZkMarginRegistry",
      "RegistryLens",
      "InsuranceFund",
      "AuctionHouse",
      "RiskEngine",
      "OracleAdapter",
    ]) {
      expect(fs.existsSync(path.join(pkg, "abi", `${c}.json`)), c).to.equal(true);
    }
    expect(fs.existsSync(path.join(pkg, "contracts", "registry", "ZkMarginRegistry.sol"))).to.equal(true);
    expect(fs.existsSync(path.join(pkg, "contracts", "test"))).to.equal(false);
    const events = fs.readFileSync(path.join(pkg, "docs", "events.md"), "utf8");
    expect(events).to.match(
      /`Certified\(address indexed account, uint64 nonce, Types\.Cert cert\)`: The account's new certificate/,
    );
    expect(events).to.match(/## IInsuranceFund/);
    expect(fs.existsSync(path.join(pkg, "deploy", "example.json"))).to.equal(true);
  });
});
