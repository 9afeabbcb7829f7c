/**
 * Adobe's recipes over the real fixture delivery (adobe-feed-zwitchdev), computed from scratch and
 * independently of the code under test: gunzip, a naive character walk for the backslash layer,
 * column positions from column_headers.tsv extracted with tar.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { x as extractTar } from 'tar';
import { FIXTURE_DATA, FIXTURE_DIR, FIXTURE_LOOKUP } from './adobe-feed-delivery.ts';

export interface FixtureRecipes {
  records: number;
  /** Columns named by column_headers.tsv, and whether every record has exactly that many fields. */
  columns: number;
  allFieldCountsRight: boolean;
  visitors: number;
  visits: number;
  pageViews: number;
  purchases: number;
  /** Earliest post_cust_hit_time_gmt of the kept hits (epoch seconds). */
  minTime: number;
}

export async function fixtureRecipes(): Promise<FixtureRecipes> {
  const tmp = mkdtempSync(join(tmpdir(), 'scoreflow-recipes-'));
  try {
    await extractTar({ file: join(FIXTURE_DIR, FIXTURE_LOOKUP), cwd: tmp }, ['column_headers.tsv']);
    const columns = readFileSync(join(tmp, 'column_headers.tsv'), 'latin1').trim().split('\t');
    const text = gunzipSync(readFileSync(join(FIXTURE_DIR, FIXTURE_DATA))).toString('latin1');
    const records: string[][] = [];
    let fields: string[] = [];
    let cur = '';
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (ch === '\\' && '\t\n\r\\'.includes(text[i + 1] ?? 'x')) cur += text[++i];
      else if (ch === '\t') {
        fields.push(cur);
        cur = '';
      } else if (ch === '\n') {
        fields.push(cur);
        records.push(fields);
        fields = [];
        cur = '';
      } else cur += ch;
    }
    const col = (r: string[], name: string) => r[columns.indexOf(name)]!;
    const kept = records.filter((r) => r.length === columns.length && col(r, 'exclude_hit') === '0');
    return {
      records: records.length,
      columns: columns.length,
      allFieldCountsRight: records.every((r) => r.length === columns.length),
      visitors: new Set(kept.map((r) => `${col(r, 'post_visid_high')}_${col(r, 'post_visid_low')}`)).size,
      visits: new Set(kept.map((r) => `${col(r, 'post_visid_high')}_${col(r, 'post_visid_low')}_${col(r, 'visit_num')}_${col(r, 'visit_start_time_gmt')}`)).size,
      pageViews: kept.filter((r) => col(r, 'post_pagename') !== '' || col(r, 'post_page_url') !== '').length,
      purchases: kept.filter((r) => col(r, 'post_event_list').split(',').includes('1')).length,
      minTime: Math.min(...kept.map((r) => Number(col(r, 'post_cust_hit_time_gmt')))),
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
