// Verifies recorded shiphub webhook deliveries with the official Standard
// Webhooks library. Usage: node verify.cjs <node_modules dir> <deliveries.json>
// The file holds {secret, deliveries: [{headers, body}]}. Prints one line per
// delivery and exits non-zero if any fails, or if a tampered body verifies.
const path = require("path");
const fs = require("fs");
const { Webhook } = require(path.join(process.argv[2], "standardwebhooks"));

const input = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
const wh = new Webhook(input.secret);
let failed = 0;
for (const d of input.deliveries) {
  try {
    const payload = wh.verify(d.body, d.headers);
    console.log(`verified ${d.headers["webhook-id"]} ${payload.type}`);
  } catch (e) {
    failed++;
    console.log(`FAILED ${d.headers["webhook-id"]}: ${e.message}`);
  }
  try {
    wh.verify(d.body + " ", d.headers);
    failed++;
    console.log(`FAILED ${d.headers["webhook-id"]}: a tampered body verified`);
  } catch (e) {
    // expected
  }
}
process.exit(failed === 0 ? 0 : 1);
