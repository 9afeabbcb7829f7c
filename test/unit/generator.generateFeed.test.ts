import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFeed, type GenerateResult } from '../../tools/feed-generator/generator.ts';
import { csvSplit, hitsAsObjects, md5, readCsv, readDataFile, readManifest, readTarEntries, size } from '../helpers/generated-feed-reader.ts';

const DAILY_MANIFEST = /^(.+)_(\d{4})-(\d{2})-(\d{2})\.txt$/;
const HOURLY_MANIFEST = /^(.+)_(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})\.txt$/;
const PURPOSES = ['analytics', 'personalization', 'advertising', 'email'];

const root = mkdtempSync(join(tmpdir(), 'scoreflow-generator-'));
const dirA = join(root, 'a');
const dirA2 = join(root, 'a2');
const dirB = join(root, 'b');
let resA: GenerateResult;
let resB: GenerateResult;
let columns: string[];
let hits: Record<string, string>[];
const progress: [number, number][] = [];

const eventIds = (list: string) => (list === '' ? [] : list.split(',').map((e) => Number(e.split('=')[0])));
const kept = (h: Record<string, string>) => h.exclude_hit === '0' && !['5', '7', '8', '9'].includes(h.hit_source!) && h.customer_perspective === '0';
/** Revenue in cents of a purchase row: Σ price (line totals) over products. */
const revenueCents = (productList: string) =>
  productList
    .split(/(?<!\^),/)
    .map((p) => p.split(/(?<!\^);/))
    .reduce((s, f) => s + (f[1] ? Math.round(Number(f[3] || 0) * 100) : 0), 0);

beforeAll(async () => {
  resA = await generateFeed({ visitors: 1000, days: 3, seed: 42, out: dirA, onProgress: (d, t) => progress.push([d, t]) });
  await generateFeed({ visitors: 1000, days: 3, seed: 42, out: dirA2 });
  resB = await generateFeed({ visitors: 1000, days: 3, seed: 43, out: dirB });
  const archive = await readTarEntries(join(dirA, resA.deliveries[0]!.lookupFile));
  columns = archive.get('column_headers.tsv')!.toString('latin1').replace(/\n$/, '').split('\t');
  hits = resA.deliveries.flatMap((d) => d.dataFiles.flatMap((f) => hitsAsObjects(columns, readDataFile(dirA, f).records)));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('generateFeed', () => {
  it('writes one delivery per day into one folder with Adobe file names, and side files that are not manifests', () => {
    const files = readdirSync(dirA).sort();
    expect(files).toEqual(
      [
        ...['2026-11-01', '2026-11-02', '2026-11-03'].flatMap((d) => [`01-scoreflowdemo_${d}.tsv.gz`, `scoreflowdemo_${d}-lookup_data.tar.gz`, `scoreflowdemo_${d}.txt`]),
        'cmp_consent.csv',
        'crm_extract.csv',
        'ground_truth.csv',
      ].sort(),
    );
    expect(files.filter((f) => DAILY_MANIFEST.test(f) || HOURLY_MANIFEST.test(f))).toEqual(resA.deliveries.map((d) => d.manifest));
    expect(resA.deliveries.map((d) => d.deliveryId)).toEqual(['scoreflowdemo_2026-11-01', 'scoreflowdemo_2026-11-02', 'scoreflowdemo_2026-11-03']);
    expect(resA.files.sort()).toEqual(files);
    expect(resA.visitors).toBe(1000);
    expect(progress.at(-1)).toEqual([1000, 1000]);
  });

  it('gives identical bytes for the same options and different data for another seed', () => {
    for (const f of readdirSync(dirA)) expect(md5(join(dirA2, f)), f).toBe(md5(join(dirA, f)));
    for (const d of resB.deliveries) expect(md5(join(dirB, d.dataFiles[0]!))).not.toBe(md5(join(dirA, d.dataFiles[0]!)));
    expect(md5(join(dirB, 'ground_truth.csv'))).not.toBe(md5(join(dirA, 'ground_truth.csv')));
    expect(resB.records).not.toBe(resA.records);
  });

  it('writes manifests whose digests, sizes and record counts match the files', () => {
    let total = 0;
    for (const d of resA.deliveries) {
      const text = readFileSync(join(dirA, d.manifest), 'latin1');
      expect(text.endsWith('\n')).toBe(false);
      const m = readManifest(text);
      expect(m.header).toEqual({
        'Datafeed-Manifest-Version': '1.0',
        'Lookup-Files': '1',
        'Data-Files': String(m.data.length),
        'Total-Records': String(d.records),
      });
      expect(m.lookups.map((l) => l.name)).toEqual([d.lookupFile]);
      for (const f of [...m.lookups, ...m.data]) {
        expect(md5(join(dirA, f.name)), f.name).toBe(f.md5);
        expect(size(join(dirA, f.name)), f.name).toBe(f.size);
      }
      let physicalLines = 0;
      for (const f of m.data) {
        const { raw, records } = readDataFile(dirA, f.name);
        expect(records.length).toBe(f.records);
        physicalLines += raw.toString('latin1').split('\n').length - 1;
      }
      expect(physicalLines).toBeGreaterThan(d.records); // escaped newlines: lines ≠ records
      expect(m.data.reduce((s, f) => s + f.records, 0)).toBe(d.records);
      total += d.records;
    }
    expect(total).toBe(resA.records);
  });

  it('gives every record exactly as many fields as column_headers.tsv, with a realistic column set', () => {
    expect(columns.length).toBeGreaterThanOrEqual(100);
    for (const c of ['accept_language', 'browser', 'date_time', 'evar1', 'evar10', 'exclude_hit', 'hit_source', 'customer_perspective', 'duplicate_purchase', 'hit_time_gmt', 'cust_hit_time_gmt', 'post_cust_hit_time_gmt', 'ip', 'mcvisid', 'post_visid_type', 'post_visid_high', 'post_visid_low', 'visit_num', 'visit_start_time_gmt', 'visit_page_num', 'post_pagename', 'post_page_url', 'post_page_event', 'post_event_list', 'post_product_list', 'post_purchaseid', 'post_evar1', 'post_evar10', 'post_currency', 'user_agent', 'geo_city', 'geo_country']) {
      expect(columns, c).toContain(c);
    }
    for (const d of resA.deliveries) {
      for (const f of d.dataFiles) {
        const { records } = readDataFile(dirA, f);
        const bad = records.findIndex((r) => r.length !== columns.length);
        expect(bad, `${f} record ${bad + 1}`).toBe(-1);
      }
    }
  });

  it('packs column_headers.tsv, event.tsv and other id<TAB>value lookups, covering every event id used', async () => {
    const entries = await readTarEntries(join(dirA, resA.deliveries[0]!.lookupFile));
    expect([...entries.keys()]).toEqual(expect.arrayContaining(['column_headers.tsv', 'event.tsv', 'browser.tsv', 'referrer_type.tsv', 'plugins.tsv']));
    expect(entries.get('column_headers.tsv')!.toString('latin1').split('\n')).toHaveLength(2); // one line + final LF
    const events = new Map(
      entries
        .get('event.tsv')!
        .toString('latin1')
        .trim()
        .split('\n')
        .map((l) => l.split('\t') as [string, string]),
    );
    expect(events.get('1')).toBe('Purchase');
    expect(events.get('12')).toBe('Cart Add');
    for (const id of new Set(hits.flatMap((h) => eventIds(h.post_event_list!)))) expect(events.has(String(id)), `event ${id}`).toBe(true);
    for (const l of entries.get('referrer_type.tsv')!.toString('latin1').trim().split('\n')) expect(l.split('\t')).toHaveLength(3);
    expect(entries.get('plugins.tsv')!.toString('latin1').startsWith('00001\t')).toBe(true);
    // Other days carry the same tables.
    const other = await readTarEntries(join(dirA, resA.deliveries[2]!.lookupFile));
    expect(other.get('event.tsv')!.equals(entries.get('event.tsv')!)).toBe(true);
  });

  it('escapes tab, LF, CR and backslash inside values, and caret-escapes product list separators', () => {
    const raw = Buffer.concat(resA.deliveries.map((d) => readDataFile(dirA, d.dataFiles[0]!).raw)).toString('latin1');
    expect(raw).toContain('\\\t');
    expect(raw).toContain('\\\n');
    expect(raw).toContain('\\\r');
    expect(raw).toContain('\\\\');
    const pagenames = hits.map((h) => h.post_pagename!);
    expect(pagenames.some((p) => p.includes('\t'))).toBe(true);
    expect(pagenames.some((p) => p.includes('\n'))).toBe(true);
    expect(pagenames.some((p) => p.includes('\\'))).toBe(true);
    expect(hits.some((h) => h.post_evar2!.includes('\t'))).toBe(true);
    const lists = hits.map((h) => h.post_product_list!).join('\n');
    for (const e of ['^,', '^;', '^=', '^^']) expect(lists, e).toContain(e);
    expect(hits.some((h) => /[éüö]/.test(h.geo_city!))).toBe(true); // ISO-8859-1 text
  });

  it('holds page views, product views, cart adds, purchases with revenue, and the rows consumers must drop', () => {
    const keptHits = hits.filter(kept);
    const has = (id: number) => keptHits.filter((h) => eventIds(h.post_event_list!).includes(id));
    expect(keptHits.filter((h) => h.post_pagename !== '' || h.post_page_url !== '').length).toBeGreaterThan(5000);
    expect(has(2).length).toBeGreaterThan(1000);
    expect(has(12).length).toBeGreaterThan(100);
    expect(has(13).length).toBeGreaterThan(0);
    expect(has(10).length).toBeGreaterThan(0);
    expect(has(11).length).toBeGreaterThan(0);
    expect(has(14).length).toBeGreaterThan(0);
    const purchases = has(1).filter((h) => h.duplicate_purchase === '0');
    expect(purchases.length).toBeGreaterThan(30);
    for (const p of purchases) {
      expect(revenueCents(p.post_product_list!)).toBeGreaterThan(0);
      expect(p.post_purchaseid!.length).toBeLessThanOrEqual(20);
      expect(p.post_purchaseid).not.toBe('');
    }
    expect(has(1).some((h) => h.duplicate_purchase === '1')).toBe(true);
    expect(hits.filter((h) => h.exclude_hit !== '0').length).toBeGreaterThan(0);
    expect(new Set(hits.filter((h) => h.exclude_hit !== '0').map((h) => h.exclude_hit)).size).toBeGreaterThan(2);
    expect(hits.filter((h) => ['5', '7', '8', '9'].includes(h.hit_source!)).length).toBeGreaterThan(0);
    expect(hits.filter((h) => h.customer_perspective === '1').length).toBeGreaterThan(0);
    const links = keptHits.filter((h) => h.post_page_event === '100');
    expect(links.length).toBeGreaterThan(100);
    for (const l of links) {
      expect(l.post_pagename).toBe('');
      expect(l.post_page_url).toBe('');
    }
    for (const h of keptHits) if (!/[A-Za-z]/.test(h.post_product_list!)) expect(h.post_product_list).toBe(';;;;');
  });

  it('writes unsigned 64-bit visitor ids (above 2^53 and 2^63), 38-digit ECIDs and consistent times', () => {
    const ids = hits.map((h) => [BigInt(h.post_visid_high!), BigInt(h.post_visid_low!)]).flat();
    expect(ids.some((v) => v > 2n ** 53n)).toBe(true);
    expect(ids.some((v) => v >= 2n ** 63n)).toBe(true);
    expect(ids.every((v) => v >= 0n && v < 2n ** 64n)).toBe(true);
    for (const h of hits.slice(0, 2000)) {
      expect(h.mcvisid).toMatch(/^\d{38}$/);
      expect(h.post_visid_type).toBe('5');
      expect(h.date_time).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      if (kept(h)) expect(Date.parse(`${h.date_time!.replace(' ', 'T')}Z`) / 1000).toBe(Number(h.hit_time_gmt));
      expect(Number(h.visit_page_num)).toBeGreaterThanOrEqual(1);
    }
  });

  it('puts customer ids in post_evar3 and consent in post_evar5, consistent with the CRM extract and the CMP export', () => {
    const keptHits = hits.filter(kept);
    const customerOf = new Map<string, Set<string>>();
    const consentOf = new Map<string, Set<string>>();
    for (const h of keptHits) {
      const e = `${h.post_visid_high}_${h.post_visid_low}`;
      if (h.post_evar3) (customerOf.get(e) ?? customerOf.set(e, new Set()).get(e)!).add(h.post_evar3);
      (consentOf.get(e) ?? consentOf.set(e, new Set()).get(e)!).add(h.post_evar5!);
      if (h.evar3) expect(h.evar3).toBe(h.post_evar3);
    }
    for (const ids of customerOf.values()) {
      expect(ids.size).toBe(1);
      expect([...ids][0]).toMatch(/^C\d{7}$/);
    }
    const visitors = new Set(keptHits.map((h) => `${h.post_visid_high}_${h.post_visid_low}`));
    expect(customerOf.size / visitors.size).toBeGreaterThan(0.3);
    expect(customerOf.size / visitors.size).toBeLessThan(0.5);
    const byCustomer = new Map<string, number>();
    for (const ids of customerOf.values()) for (const id of ids) byCustomer.set(id, (byCustomer.get(id) ?? 0) + 1);
    expect([...byCustomer.values()].filter((n) => n === 2).length).toBeGreaterThan(0);
    expect(resA.customers).toBe(byCustomer.size);

    for (const values of consentOf.values()) {
      expect(values.size).toBe(1);
      const v = [...values][0]!;
      if (v !== '') for (const p of v.split('|')) expect(PURPOSES).toContain(p);
    }
    const adv = [...consentOf.values()].filter((s) => [...s][0]!.split('|').includes('advertising')).length / consentOf.size;
    expect(adv).toBeGreaterThan(0.78);
    expect(adv).toBeLessThan(0.92);
    expect([...consentOf.values()].some((s) => [...s][0] === '')).toBe(true);

    const cmp = readCsv(join(dirA, 'cmp_consent.csv'));
    expect(Object.keys(cmp[0]!)).toEqual(['entity_id', 'purpose', 'granted', 'recorded_at']);
    expect(cmp.length).toBe(4 * 1000);
    for (const row of cmp) {
      expect(row.recorded_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      const feed = consentOf.get(row.entity_id!);
      if (!feed) continue; // visitor whose only rows were dropped
      expect(row.granted === 'true', `${row.entity_id} ${row.purpose}`).toBe([...feed][0]!.split('|').includes(row.purpose!));
    }

    const crmText = readFileSync(join(dirA, 'crm_extract.csv'), 'utf8');
    expect(crmText.split('\n')[0]).toBe('customer_id,email,phone,first_name,last_name,country,zip');
    const crm = readCsv(join(dirA, 'crm_extract.csv'));
    const crmIds = new Set(crm.map((c) => c.customer_id));
    expect(crmIds.size).toBe(crm.length);
    const onHits = [...byCustomer.keys()];
    const known = onHits.filter((id) => crmIds.has(id)).length;
    expect(known / onHits.length).toBeGreaterThan(0.9);
    expect(known).toBeLessThan(onHits.length); // a few customer ids the CRM does not know
    expect(crm.length).toBeGreaterThan(known); // and CRM-only customers
    const emails = crm.map((c) => c.email!);
    expect(emails.some((e) => e !== e.trim() && e.trim() === e.trim().toUpperCase() && e.includes('@'))).toBe(true);
    expect(emails.some((e) => /^[^@]*\.[^@]*\+[^@]+@gmail\.com$/.test(e) || /\+[^@]+@gmail\.com$/.test(e))).toBe(true);
    expect(emails.some((e) => /^[a-z]+\.[a-z]+@gmail\.com$/.test(e))).toBe(true);
    expect(emails.some((e) => e !== '' && !e.includes('@'))).toBe(true);
    expect(emails.some((e) => e === '')).toBe(true);
    expect(crm.some((c) => /^\(\d{3}\) \d{3}-\d{4}$/.test(c.phone!))).toBe(true);
    expect(crm.some((c) => c.phone === '')).toBe(true);
    expect(crm.some((c) => /[éëèüöøç]/i.test(`${c.first_name}${c.last_name}`))).toBe(true);
    expect(crm.some((c) => c.first_name === '' || c.last_name === '')).toBe(true);
    for (const line of crmText.trim().split('\n')) expect(csvSplit(line)).toHaveLength(7);
  });

  it('writes a ground truth that agrees with the hits: visitors, customer ids, orders and revenue', () => {
    const truth = readCsv(join(dirA, 'ground_truth.csv'));
    expect(Object.keys(truth[0]!).slice(0, 4)).toEqual(['entity_id', 'true_propensity', 'purchased_in_horizon', 'treatment_effect']);
    expect(truth).toHaveLength(1000);
    const orders = new Map<string, { orders: number; cents: number; customer: string }>();
    for (const h of hits.filter(kept)) {
      const e = `${h.post_visid_high}_${h.post_visid_low}`;
      const o = orders.get(e) ?? { orders: 0, cents: 0, customer: '' };
      if (h.post_evar3) o.customer = h.post_evar3;
      if (eventIds(h.post_event_list!).includes(1) && h.duplicate_purchase === '0') {
        o.orders++;
        o.cents += revenueCents(h.post_product_list!);
      }
      orders.set(e, o);
    }
    expect(new Set(truth.map((t) => t.entity_id))).toEqual(new Set(orders.keys()));
    for (const t of truth) {
      const o = orders.get(t.entity_id!)!;
      expect(Number(t.orders), t.entity_id).toBe(o.orders);
      expect(Math.round(Number(t.revenue) * 100), t.entity_id).toBe(o.cents);
      expect(t.customer_id).toBe(o.customer);
      const p = Number(t.true_propensity);
      expect(p > 0 && p < 1).toBe(true);
      expect(t.purchased_in_horizon === '1' || t.purchased_in_horizon === '0').toBe(true);
    }
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const buyers = truth.filter((t) => Number(t.orders) > 0).map((t) => Number(t.true_propensity));
    const others = truth.filter((t) => Number(t.orders) === 0).map((t) => Number(t.true_propensity));
    expect(mean(buyers)).toBeGreaterThan(2 * mean(others)); // behaviour follows the hidden propensity
    const positives = truth.filter((t) => t.purchased_in_horizon === '1').map((t) => Number(t.true_propensity));
    expect(mean(positives)).toBeGreaterThan(mean(truth.map((t) => Number(t.true_propensity))));
  });

  it('fills the treated columns from treatmentEffect with the same horizon draw', async () => {
    const dir = join(root, 'treated');
    await generateFeed({ visitors: 300, days: 1, seed: 42, out: dir, treatmentEffect: 0.2 });
    const truth = readCsv(join(dir, 'ground_truth.csv'));
    for (const t of truth) {
      expect(Number(t.treatment_effect)).toBe(0.2);
      expect(Number(t.propensity_if_treated)).toBeCloseTo(Math.min(1, Number(t.true_propensity) + 0.2), 5);
      if (t.purchased_in_horizon === '1') expect(t.purchased_if_treated).toBe('1');
    }
    const rate = (k: string) => truth.filter((t) => t[k] === '1').length / truth.length;
    expect(rate('purchased_if_treated') - rate('purchased_in_horizon')).toBeGreaterThan(0.12);
  });

  it('continues a day in 02-, 03-… files past maxFileBytes, never splitting a record', async () => {
    const dir = join(root, 'split');
    const res = await generateFeed({ visitors: 400, days: 1, seed: 42, out: dir, maxFileBytes: 200_000 });
    const d = res.deliveries[0]!;
    expect(d.dataFiles.length).toBeGreaterThan(2);
    expect(d.dataFiles.map((f) => f.slice(0, 3))).toEqual(d.dataFiles.map((_, i) => `${String(i + 1).padStart(2, '0')}-`));
    const m = readManifest(readFileSync(join(dir, d.manifest), 'latin1'));
    expect(m.data.map((f) => f.name)).toEqual(d.dataFiles);
    let total = 0;
    for (const f of m.data) {
      const { raw, records } = readDataFile(dir, f.name);
      expect(raw.at(-1)).toBe(0x0a);
      expect(records.length).toBe(f.records);
      expect(records.every((r) => r.length === columns.length)).toBe(true);
      expect(md5(join(dir, f.name))).toBe(f.md5);
      total += f.records;
    }
    const single = await generateFeed({ visitors: 400, days: 1, seed: 42, out: join(root, 'nosplit') });
    expect(total).toBe(single.records);
  });

  it('rejects invalid options with the option named', async () => {
    await expect(generateFeed({ visitors: 0, days: 1, seed: 1, out: join(root, 'x') })).rejects.toThrow(/visitors/);
    await expect(generateFeed({ visitors: 10, days: 1, seed: 1, out: join(root, 'x'), startDate: '2026-02-30' })).rejects.toThrow(/startDate/);
  });
});

describe('generateFeed drift', () => {
  const visitsOf = (dir: string, res: GenerateResult) => {
    const rows = res.deliveries.flatMap((d) => d.dataFiles.flatMap((f) => hitsAsObjects(columns, readDataFile(dir, f).records))).filter(kept);
    const perVisit = new Map<string, number>();
    for (const h of rows) {
      const k = `${h.post_visid_high}_${h.post_visid_low}_${h.visit_num}_${h.visit_start_time_gmt}`;
      perVisit.set(k, (perVisit.get(k) ?? 0) + 1);
    }
    return { rows, perVisit };
  };
  const run = async (drift: 'none' | 'collapse_feature' | 'shift_score' | 'null_column') => {
    const dir = join(root, `drift-${drift}`);
    const res = await generateFeed({ visitors: 400, days: 2, seed: 7, out: dir, drift });
    return { dir, res, ...visitsOf(dir, res), truth: readCsv(join(dir, 'ground_truth.csv')) };
  };
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

  it("'collapse_feature' gives every visit the same depth, where 'none' varies", async () => {
    const none = await run('none');
    const collapsed = await run('collapse_feature');
    expect(new Set(none.perVisit.values()).size).toBeGreaterThan(5);
    expect(new Set(collapsed.perVisit.values())).toEqual(new Set([4]));
  });

  it("'shift_score' moves the propensity distribution and the purchases strongly upward", async () => {
    const none = await run('none');
    const shifted = await run('shift_score');
    const p0 = mean(none.truth.map((t) => Number(t.true_propensity)));
    const p1 = mean(shifted.truth.map((t) => Number(t.true_propensity)));
    expect(p1 - p0).toBeGreaterThan(0.2);
    expect(mean(shifted.truth.map((t) => Number(t.orders)))).toBeGreaterThan(2 * mean(none.truth.map((t) => Number(t.orders))));
    expect(shifted.truth.map((t) => t.entity_id)).toEqual(none.truth.map((t) => t.entity_id)); // same visitors
  });

  it("'null_column' empties post_pagename and post_page_url on most page hits", async () => {
    const none = await run('none');
    const nulled = await run('null_column');
    const emptyShare = (rows: Record<string, string>[]) => {
      const pages = rows.filter((h) => h.post_page_event === '0' && h.hit_source === '1');
      return pages.filter((h) => h.post_pagename === '' && h.post_page_url === '').length / pages.length;
    };
    expect(emptyShare(none.rows)).toBeLessThan(0.01);
    expect(emptyShare(nulled.rows)).toBeGreaterThan(0.8);
  });
});
