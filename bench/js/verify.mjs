// Verify did_gov's credentials with the reference JavaScript stack (@digitalbazaar/vc) and time it.
// Usage: node verify.mjs INPUT.json  ->  prints {"row name": {"median": s, "p95": s, "cpu_median": s, "verified": n}}
// INPUT: {"documents": {url: document}, "warmup": n, "rows": {name: {"kind": "credential"|"presentation",
//         "items": [...], "challenge"?: str, "domain"?: str}}}. Every context, DID document and
//         verification method is served from "documents" (a static loader: no network).
import {readFileSync} from 'node:fs';
import {performance} from 'node:perf_hooks';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const documents = input.documents;

async function documentLoader(url) {
  const document = documents[url];
  if(document === undefined) {
    throw new Error(`static loader: ${url} is not served`);
  }
  return {contextUrl: null, documentUrl: url, document};
}

function suite() {
  return new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite});
}

async function verifyOne(row, item) {
  if(row.kind === 'presentation') {
    return vc.verify({
      presentation: item, challenge: row.challenge ?? item.proof.challenge, domain: row.domain,
      suite: suite(), documentLoader
    });
  }
  return vc.verifyCredential({credential: item, suite: suite(), documentLoader});
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
}

const out = {};
for(const [name, row] of Object.entries(input.rows)) {
  const warmup = Math.min(input.warmup ?? 20, row.items.length);
  for(let i = 0; i < warmup; i++) {
    await verifyOne(row, row.items[i]);
  }
  const walls = [];
  const cpus = [];
  let verified = 0;
  for(const item of row.items) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    const result = await verifyOne(row, item);
    walls.push((performance.now() - start) / 1e3);
    const cpu = process.cpuUsage(cpuStart);
    cpus.push((cpu.user + cpu.system) / 1e6);
    if(result.verified) {
      verified++;
    } else if(!out[name]) {
      console.error(name, JSON.stringify(result.error ?? result, null, 1).slice(0, 2000));
    }
  }
  walls.sort((a, b) => a - b);
  cpus.sort((a, b) => a - b);
  out[name] = {
    median: quantile(walls, 0.5), p95: quantile(walls, 0.95), cpu_median: quantile(cpus, 0.5),
    verified, total: row.items.length
  };
}
console.log(JSON.stringify(out));
