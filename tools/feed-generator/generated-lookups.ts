/**
 * Pure: the lookup tables of the sample feed (the files of `<rsid>_<date>-lookup_data.tar.gz`) and
 * the catalogues whose ids they define: devices (browser, os, resolution), geographies, languages,
 * search engines and the event ids used in post_event_list. Lookups are `id<TAB>value` without a
 * header; referrer_type.tsv has three columns and plugins.tsv zero-padded ids, as in real deliveries.
 */
import { GENERATED_COLUMNS } from './generated-columns.ts';

export interface Device {
  kind: 'desktop' | 'mobile' | 'tablet';
  browserId: number;
  browserName: string;
  osId: number;
  osName: string;
  resolutionId: number;
  resolution: string;
  width: number;
  height: number;
  userAgent: string;
  connectionType: number;
  weight: number;
}

export const DEVICES: readonly Device[] = [
  { kind: 'desktop', browserId: 4294924212, browserName: 'Google Chrome 131.0', osId: 2013, osName: 'Windows 10', resolutionId: 186, resolution: '1920 x 1080', width: 1903, height: 947, connectionType: 2, weight: 30,
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36' },
  { kind: 'desktop', browserId: 4294924250, browserName: 'Microsoft Edge 131.0', osId: 2013, osName: 'Windows 10', resolutionId: 181, resolution: '1366 x 768', width: 1349, height: 657, connectionType: 2, weight: 8,
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0' },
  { kind: 'desktop', browserId: 3174021553, browserName: 'Safari 18.1', osId: 2041, osName: 'OS X 10.15', resolutionId: 201, resolution: '1440 x 900', width: 1440, height: 789, connectionType: 2, weight: 10,
    userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15' },
  { kind: 'desktop', browserId: 2317296321, browserName: 'Mozilla Firefox 133.0', osId: 45, osName: 'Linux', resolutionId: 186, resolution: '1920 x 1080', width: 1920, height: 955, connectionType: 2, weight: 4,
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0' },
  { kind: 'mobile', browserId: 3174021601, browserName: 'Mobile Safari 18.1', osId: 2101, osName: 'iOS 18.1', resolutionId: 305, resolution: '390 x 844', width: 390, height: 664, connectionType: 4, weight: 25,
    userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1' },
  { kind: 'mobile', browserId: 4294924301, browserName: 'Chrome Mobile 131.0', osId: 2150, osName: 'Android 14', resolutionId: 310, resolution: '412 x 915', width: 412, height: 783, connectionType: 4, weight: 17,
    userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36' },
  { kind: 'tablet', browserId: 3174021602, browserName: 'Mobile Safari 18.1 (iPad)', osId: 2102, osName: 'iPadOS 18.1', resolutionId: 320, resolution: '820 x 1180', width: 820, height: 1050, connectionType: 2, weight: 6,
    userAgent: 'Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1' },
];

export interface Geo {
  country: 'US' | 'CA' | 'GB' | 'DE' | 'FR';
  countryId: number;
  geoCountry: string;
  region: string;
  city: string;
  zip: string;
  dma: number;
  languageId: number;
  acceptLanguage: string;
  domain: string;
}

/** Cities per CRM country; city names are ISO-8859-1 (the encoding of hit data). */
export const GEOS: Record<Geo['country'], readonly Geo[]> = {
  US: [
    { country: 'US', countryId: 234, geoCountry: 'usa', region: 'ca', city: 'san francisco', zip: '94105', dma: 807, languageId: 35, acceptLanguage: 'en-US,en;q=0.9', domain: 'comcast.net' },
    { country: 'US', countryId: 234, geoCountry: 'usa', region: 'ny', city: 'new york', zip: '10001', dma: 501, languageId: 35, acceptLanguage: 'en-US,en;q=0.9', domain: 'verizon.net' },
    { country: 'US', countryId: 234, geoCountry: 'usa', region: 'tx', city: 'austin', zip: '78701', dma: 635, languageId: 35, acceptLanguage: 'en-US', domain: 'spectrum.com' },
    { country: 'US', countryId: 234, geoCountry: 'usa', region: 'il', city: 'chicago', zip: '60601', dma: 602, languageId: 35, acceptLanguage: 'en-US,en;q=0.8,es;q=0.6', domain: 'att.net' },
    { country: 'US', countryId: 234, geoCountry: 'usa', region: 'wa', city: 'seattle', zip: '98101', dma: 819, languageId: 35, acceptLanguage: 'en-us', domain: 'comcast.net' },
  ],
  CA: [
    { country: 'CA', countryId: 39, geoCountry: 'can', region: 'qc', city: 'montréal', zip: 'H2X', dma: 0, languageId: 77, acceptLanguage: 'fr-CA,fr;q=0.9,en;q=0.7', domain: 'videotron.ca' },
    { country: 'CA', countryId: 39, geoCountry: 'can', region: 'on', city: 'toronto', zip: 'M5V', dma: 0, languageId: 39, acceptLanguage: 'en-CA,en;q=0.9', domain: 'rogers.com' },
  ],
  GB: [
    { country: 'GB', countryId: 233, geoCountry: 'gbr', region: 'eng', city: 'london', zip: 'SW1A', dma: 0, languageId: 38, acceptLanguage: 'en-GB,en;q=0.9', domain: 'btcentralplus.com' },
    { country: 'GB', countryId: 233, geoCountry: 'gbr', region: 'eng', city: 'manchester', zip: 'M1', dma: 0, languageId: 38, acceptLanguage: 'en-GB', domain: 'virginm.net' },
  ],
  DE: [
    { country: 'DE', countryId: 84, geoCountry: 'deu', region: 'be', city: 'berlin', zip: '10115', dma: 0, languageId: 84, acceptLanguage: 'de-DE,de;q=0.9,en;q=0.8', domain: 't-ipconnect.de' },
    { country: 'DE', countryId: 84, geoCountry: 'deu', region: 'by', city: 'münchen', zip: '80331', dma: 0, languageId: 84, acceptLanguage: 'de-DE,de;q=0.9', domain: 'vodafone.de' },
    { country: 'DE', countryId: 84, geoCountry: 'deu', region: 'nw', city: 'köln', zip: '50667', dma: 0, languageId: 84, acceptLanguage: 'de,en-US;q=0.7,en;q=0.3', domain: 'netcologne.de' },
  ],
  FR: [
    { country: 'FR', countryId: 76, geoCountry: 'fra', region: 'idf', city: 'paris', zip: '75011', dma: 0, languageId: 77, acceptLanguage: 'fr-FR,fr;q=0.9,en-US;q=0.8', domain: 'orange.fr' },
    { country: 'FR', countryId: 76, geoCountry: 'fra', region: 'ara', city: 'lyon', zip: '69002', dma: 0, languageId: 77, acceptLanguage: 'fr-FR,fr;q=0.9', domain: 'free.fr' },
  ],
};

export interface SearchEngine {
  id: number;
  name: string;
  domain: string;
}

export const SEARCH_ENGINES: readonly SearchEngine[] = [
  { id: 1, name: 'Google', domain: 'www.google.com' },
  { id: 2, name: 'Microsoft Bing', domain: 'www.bing.com' },
  { id: 3, name: 'DuckDuckGo', domain: 'duckduckgo.com' },
];

/** Event ids (docs/formats/adobe-data-feed.md): commerce events, eVarN instances (99+N) and custom events (199+N). */
export const EVENT = {
  purchase: 1,
  productView: 2,
  cartOpen: 10,
  checkout: 11,
  cartAdd: 12,
  cartRemove: 13,
  cartView: 14,
  campaignView: 20,
  login: 200, // event1
  newsletterSignup: 201, // event2
  internalSearch: 202, // event3
  wishlistAdd: 203, // event4
  sizeGuideView: 204, // event5
  offlineReturn: 205, // event6 (data sources)
  shipping: 206, // event7 (currency event, value = shipping cost)
} as const;

export const evarInstanceEvent = (n: number): number => 99 + n;

const CUSTOM_EVENTS = ['Login', 'Newsletter Signup', 'Internal Search', 'Wishlist Add', 'Size Guide View', 'Offline Return', 'Shipping'];

const lines = (rows: readonly (readonly (string | number)[])[]): Buffer => Buffer.from(`${rows.map((r) => r.join('\t')).join('\n')}\n`, 'latin1');

function eventTsv(): Buffer {
  const rows: (string | number)[][] = [
    [1, 'Purchase'], [2, 'Product View'], [10, 'Cart Open'], [11, 'Checkout'], [12, 'Cart Add'], [13, 'Cart Remove'],
    [14, 'Cart View'], [20, 'Campaign View'],
  ];
  for (let n = 1; n <= 100; n++) rows.push([evarInstanceEvent(n), `Instance of eVar${n}`]);
  for (let n = 1; n <= 100; n++) rows.push([199 + n, CUSTOM_EVENTS[n - 1] ?? `Custom Event ${n}`]);
  return lines(rows);
}

const unique = <T>(xs: readonly T[], key: (x: T) => string | number): T[] => {
  const seen = new Set<string | number>();
  return xs.filter((x) => (seen.has(key(x)) ? false : (seen.add(key(x)), true)));
};

/** The lookup files in archive order (alphabetical, as Adobe packs them). */
export function lookupFiles(): { name: string; content: Buffer }[] {
  const geos = Object.values(GEOS).flat();
  return [
    { name: 'browser.tsv', content: lines(unique(DEVICES, (d) => d.browserId).map((d) => [d.browserId, d.browserName])) },
    { name: 'color_depth.tsv', content: lines([[1, '16 million (32-bit)'], [2, '16 million (24-bit)'], [3, '65,536 (16-bit)']]) },
    { name: 'column_headers.tsv', content: Buffer.from(`${GENERATED_COLUMNS.join('\t')}\n`, 'latin1') },
    { name: 'connection_type.tsv', content: lines([[0, 'Not Specified'], [1, 'Modem'], [2, 'LAN/Wifi'], [3, 'Unknown'], [4, 'Mobile Carrier']]) },
    { name: 'country.tsv', content: lines(unique(geos, (g) => g.countryId).map((g) => [g.countryId, { US: 'United States', CA: 'Canada', GB: 'United Kingdom', DE: 'Germany', FR: 'France' }[g.country]])) },
    { name: 'event.tsv', content: eventTsv() },
    { name: 'javascript_version.tsv', content: lines([[0, 'No JavaScript'], [1, '1.0'], [12, '1.8.5']]) },
    { name: 'languages.tsv', content: lines([[35, 'English'], [38, 'English (United Kingdom)'], [39, 'English (Canada)'], [77, 'French'], [84, 'German']]) },
    { name: 'operating_systems.tsv', content: lines(unique(DEVICES, (d) => d.osId).map((d) => [d.osId, d.osName])) },
    { name: 'plugins.tsv', content: lines([['00001', 'Shockwave Flash'], ['00002', 'Chrome PDF Viewer']]) },
    { name: 'referrer_type.tsv', content: lines([
      [1, 'Inside Your Site', 'internal'], [2, 'Other Web Sites', 'external'], [3, 'Search Engines', 'search_engine'],
      [4, 'Hard Drive', 'hard_drive'], [5, 'USENET (newsgroups)', 'usenet'], [6, 'Typed/Bookmarked', 'bookmarked'],
      [7, 'Email', 'email'], [8, 'No JavaScript', 'nojs'], [9, 'Social Networks', 'social_network'],
    ]) },
    { name: 'resolution.tsv', content: lines(unique(DEVICES, (d) => d.resolutionId).map((d) => [d.resolutionId, d.resolution])) },
    { name: 'search_engines.tsv', content: lines(SEARCH_ENGINES.map((s) => [s.id, s.name])) },
  ];
}
