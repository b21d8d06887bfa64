// Compiles AnchorRegistry.sol with the pinned solc npm package and writes the package data
// ../did_gov/ledger/_contracts/AnchorRegistry.json (abi, creation and runtime bytecode, the
// bytecode's SHA-256), which wheels ship so an installed did_gov anchors without this folder.
// Run by `make install`. It fails unless the SHA-256 of the creation bytecode (the raw bytes)
// equals the pin in AnchorRegistry.sha256; the Python side checks the same pin again before it
// deploys or trusts a contract. `node compile.mjs --check` writes nothing and fails unless the
// shipped file is exactly what this compilation produces.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import solc from "solc";

const here = dirname(fileURLToPath(import.meta.url));
const source = readFileSync(join(here, "AnchorRegistry.sol"), "utf8");
const input = {
  language: "Solidity",
  sources: { "AnchorRegistry.sol": { content: source } },
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: "cancun",
    metadata: { bytecodeHash: "none" },
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === "error");
if (errors.length) {
  for (const e of errors) console.error(e.formattedMessage);
  process.exit(1);
}
const contract = output.contracts["AnchorRegistry.sol"].AnchorRegistry;
const digest = createHash("sha256").update(Buffer.from(contract.evm.bytecode.object, "hex")).digest("hex");
const artifact = {
  contractName: "AnchorRegistry",
  compiler: solc.version(),
  abi: contract.abi,
  bytecode: "0x" + contract.evm.bytecode.object,
  deployedBytecode: "0x" + contract.evm.deployedBytecode.object,
  bytecodeSha256: digest,
};
const pinned = readFileSync(join(here, "AnchorRegistry.sha256"), "utf8").trim();
console.log(`AnchorRegistry compiled with solc ${artifact.compiler}; bytecode sha256 ${digest}`);
if (digest !== pinned) {
  console.error(`bytecode sha256 ${digest} differs from the pin ${pinned} in AnchorRegistry.sha256`);
  process.exit(1);
}
const shipped = join(here, "..", "did_gov", "ledger", "_contracts", "AnchorRegistry.json");
const text = JSON.stringify(artifact, null, 2) + "\n";
if (process.argv.includes("--check")) {
  let current = null;
  try {
    current = readFileSync(shipped, "utf8");
  } catch {
    current = null;
  }
  if (current !== text) {
    console.error(`${shipped} is not what AnchorRegistry.sol compiles to (run: node compile.mjs)`);
    process.exit(1);
  }
  console.log(`${shipped} matches the compilation`);
} else {
  mkdirSync(dirname(shipped), { recursive: true });
  writeFileSync(shipped, text);
}
