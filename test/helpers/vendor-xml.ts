/**
 * Reads the flat XML answers of Adobe Target's profile APIs (`<response><success>true</success>…`)
 * for the contract-server tests. Written here on purpose, not imported from the product's
 * activities/destinations/adobe-target-rules.ts: a test that read the server's answers with the
 * product's own parser could not catch a misreading shared by both.
 */
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function xmlFields(xml: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /<([A-Za-z][A-Za-z0-9_.-]*)>([^<]*)<\/\1>/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(xml)) !== null) {
    const tag = m[1]!;
    if (tag in out) continue;
    out[tag] = m[2]!.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (whole, e: string) =>
      e.startsWith('#x') ? String.fromCodePoint(parseInt(e.slice(2), 16)) : e.startsWith('#') ? String.fromCodePoint(Number(e.slice(1))) : (ENTITIES[e] ?? whole),
    );
  }
  return out;
}
