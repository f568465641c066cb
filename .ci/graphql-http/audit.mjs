// The GraphQL over HTTP audit (npm graphql-http, auditServer) against a running server.
// Exit 1 on any warning or error; notices are printed.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
const results = await auditServer({ url });
const counts = { ok: 0, warn: 0, error: 0, notice: 0 };
for (const r of results) {
  counts[r.status] = (counts[r.status] || 0) + 1;
  if (r.status !== 'ok') console.log(`${r.status.toUpperCase()} ${r.name}: ${r.reason}`);
}
console.log(`graphql-http audit of ${url}: ${counts.ok} ok, ${counts.warn} warnings, ` +
            `${counts.error} errors, ${counts.notice} notices`);
process.exit(counts.warn || counts.error ? 1 : 0);
