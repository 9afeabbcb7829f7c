import { afterEach, describe, expect, it, vi } from 'vitest';
import { localDevServerPlan, parseTemporalAddress, runLink, temporalAddress, webUiUrl } from '../../workers/config.ts';
import { devServerArgs } from '../../cli/services/dev-server.ts';

describe('temporalAddress and webUiUrl: the one place the Temporal address and its Web UI are resolved', () => {
  it('defaults to the local dev server: 127.0.0.1:7233 with its UI on 8233', () => {
    expect(temporalAddress({})).toBe('127.0.0.1:7233');
    expect(webUiUrl({})).toBe('http://127.0.0.1:8233');
  });

  it("derives the UI from TEMPORAL_ADDRESS as Temporal's dev server does: same host, gRPC port + 1000", () => {
    expect(webUiUrl({ TEMPORAL_ADDRESS: '127.0.0.1:7300' })).toBe('http://127.0.0.1:8300');
    expect(webUiUrl({ TEMPORAL_ADDRESS: 'temporal.internal:7233' })).toBe('http://temporal.internal:8233');
    expect(webUiUrl({ TEMPORAL_ADDRESS: '[::1]:7300' })).toBe('http://[::1]:8300');
  });

  it('takes TEMPORAL_UI_URL as it is, without a trailing slash, whatever TEMPORAL_ADDRESS says', () => {
    expect(webUiUrl({ TEMPORAL_ADDRESS: '127.0.0.1:7300', TEMPORAL_UI_URL: 'http://localhost:9999/' })).toBe('http://localhost:9999');
    expect(webUiUrl({ TEMPORAL_UI_URL: 'https://temporal.example.com/ui' })).toBe('https://temporal.example.com/ui');
  });

  it('treats empty variables as unset', () => {
    expect(temporalAddress({ TEMPORAL_ADDRESS: '' })).toBe('127.0.0.1:7233');
    expect(webUiUrl({ TEMPORAL_ADDRESS: '', TEMPORAL_UI_URL: '  ' })).toBe('http://127.0.0.1:8233');
  });

  it('names the variable and shows the expected form when a value is malformed', () => {
    expect(() => webUiUrl({ TEMPORAL_ADDRESS: '127.0.0.1:notaport' })).toThrow(/TEMPORAL_ADDRESS="127\.0\.0\.1:notaport".*not a TCP port/);
    expect(() => webUiUrl({ TEMPORAL_ADDRESS: '127.0.0.1:70000' })).toThrow(/TEMPORAL_ADDRESS.*not a TCP port \(1-65535\)/);
    expect(() => webUiUrl({ TEMPORAL_ADDRESS: 'http://127.0.0.1:7233' })).toThrow(/set it like 127\.0\.0\.1:7233/);
    expect(() => webUiUrl({ TEMPORAL_UI_URL: '8233' })).toThrow(/TEMPORAL_UI_URL="8233" is not a URL.*e\.g\. http:\/\/127\.0\.0\.1:8233/);
    expect(() => webUiUrl({ TEMPORAL_UI_URL: 'ftp://127.0.0.1:8233' })).toThrow(/must be an http\(s\) URL/);
  });

  it('reads a bare host with the default port, as the Temporal SDK does', () => {
    expect(parseTemporalAddress('localhost')).toEqual({ host: 'localhost', port: 7233 });
    expect(parseTemporalAddress('[::1]')).toEqual({ host: '::1', port: 7233 });
  });
});

describe('localDevServerPlan: the ports a dev server needs for TEMPORAL_ADDRESS and webUiUrl() to reach it', () => {
  it('uses the address port and Temporal\'s UI default (port + 1000)', () => {
    expect(localDevServerPlan({ TEMPORAL_ADDRESS: '127.0.0.1:7300' })).toEqual({
      address: '127.0.0.1:7300',
      host: '127.0.0.1',
      port: 7300,
      uiPort: 8300,
      uiUrl: 'http://127.0.0.1:8300',
      local: true,
      uiLocal: true,
    });
  });

  it('puts the UI on the port of a local TEMPORAL_UI_URL', () => {
    expect(localDevServerPlan({ TEMPORAL_ADDRESS: 'localhost:7300', TEMPORAL_UI_URL: 'http://localhost:9100' })).toMatchObject({ port: 7300, uiPort: 9100, uiUrl: 'http://localhost:9100', local: true, uiLocal: true });
  });

  it('marks what this machine cannot serve: a remote address, a remote UI URL', () => {
    expect(localDevServerPlan({ TEMPORAL_ADDRESS: 'temporal.internal:7233' })).toMatchObject({ local: false, uiLocal: false, uiUrl: 'http://temporal.internal:8233' });
    expect(localDevServerPlan({ TEMPORAL_UI_URL: 'https://temporal.example.com' })).toMatchObject({ local: true, uiLocal: false, uiPort: 8233, uiUrl: 'https://temporal.example.com' });
  });

  it('lets `scoreflow dev --port/--ui-port` win over the environment', () => {
    expect(localDevServerPlan({ TEMPORAL_ADDRESS: '127.0.0.1:7300' }, { port: 7400 })).toMatchObject({ address: '127.0.0.1:7400', port: 7400, uiPort: 8400, uiUrl: 'http://127.0.0.1:8400' });
    expect(localDevServerPlan({ TEMPORAL_ADDRESS: '127.0.0.1:7300' }, { uiPort: 9200 })).toMatchObject({ port: 7300, uiPort: 9200, uiUrl: 'http://127.0.0.1:9200' });
  });

  it('starts the server with exactly those ports', () => {
    const plan = localDevServerPlan({ TEMPORAL_ADDRESS: '127.0.0.1:7300' });
    const args = devServerArgs({ port: plan.port, uiPort: plan.uiPort });
    expect(args[args.indexOf('--port') + 1]).toBe('7300');
    expect(args[args.indexOf('--ui-port') + 1]).toBe('8300');
    // Without a UI port, the dev server gets Temporal's default too.
    const defaults = devServerArgs({ port: 7500 });
    expect(defaults[defaults.indexOf('--ui-port') + 1]).toBe('8500');
  });
});

describe('runLink', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('builds every printed run link on webUiUrl()', () => {
    vi.stubEnv('TEMPORAL_ADDRESS', '127.0.0.1:7300');
    vi.stubEnv('TEMPORAL_UI_URL', '');
    expect(runLink('demo.run.1', 'abc')).toBe('http://127.0.0.1:8300/namespaces/default/workflows/demo.run.1/abc/history');
    vi.stubEnv('TEMPORAL_UI_URL', 'http://127.0.0.1:9999/');
    expect(runLink('a/b')).toBe('http://127.0.0.1:9999/namespaces/default/workflows/a%2Fb');
  });
});
