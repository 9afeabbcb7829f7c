import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliIdentity, configuredOperator, operatorOfIdentity, temporalSettings, TemporalConfigError } from '../../workers/temporal-connection.ts';
import { temporalAddress } from '../../workers/config.ts';
import { identityFromHistory } from '../../activities/run/audit-identity.ts';

const dir = mkdtempSync(join(tmpdir(), 'sf-envconfig-'));
const toml = join(dir, 'temporal.toml');
writeFileSync(
  toml,
  [
    '[profile.default]',
    'address = "temporal.internal:7233"',
    'namespace = "scoreflow-dev"',
    '',
    '[profile.prod]',
    'address = "scoreflow-prod.a1b2c.tmprl.cloud:7233"',
    'namespace = "scoreflow-prod.a1b2c"',
    'api_key = "tc-api-key-from-the-file"',
    '',
    '[profile.mtls]',
    'address = "temporal.corp:7233"',
    'namespace = "activation"',
    '[profile.mtls.tls]',
    'server_name = "temporal.corp"',
    'client_cert_data = "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----"',
    'client_key_data = "-----BEGIN PRIVATE KEY-----\\nMIIE\\n-----END PRIVATE KEY-----"',
  ].join('\n'),
);
// No file anywhere: XDG_CONFIG_HOME and HOME point at an empty folder.
const empty = { HOME: dir, XDG_CONFIG_HOME: join(dir, 'none') };

describe('temporalSettings (the SDK envconfig)', () => {
  it('without any configuration is the local dev server, namespace default, no TLS', () => {
    expect(temporalSettings(empty)).toEqual({ address: '127.0.0.1:7233', namespace: 'default', connection: { address: '127.0.0.1:7233' }, profile: null, tls: false });
    // An empty TEMPORAL_ADDRESS counts as unset, as it always has.
    expect(temporalSettings({ ...empty, TEMPORAL_ADDRESS: '' }).address).toBe('127.0.0.1:7233');
    expect(temporalAddress({ ...empty, TEMPORAL_ADDRESS: '' })).toBe('127.0.0.1:7233');
  });

  it('TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE keep working', () => {
    const s = temporalSettings({ ...empty, TEMPORAL_ADDRESS: '10.0.0.5:7233', TEMPORAL_NAMESPACE: 'activation' });
    expect(s).toMatchObject({ address: '10.0.0.5:7233', namespace: 'activation', connection: { address: '10.0.0.5:7233' }, tls: false });
    expect(temporalAddress({ ...empty, TEMPORAL_ADDRESS: '10.0.0.5:7233' })).toBe('10.0.0.5:7233');
  });

  it('a profile of the TOML file selects address and namespace; the default profile applies without TEMPORAL_PROFILE', () => {
    expect(temporalSettings({ ...empty, TEMPORAL_CONFIG_FILE: toml })).toMatchObject({ address: 'temporal.internal:7233', namespace: 'scoreflow-dev', tls: false });
    expect(temporalAddress({ ...empty, TEMPORAL_CONFIG_FILE: toml })).toBe('temporal.internal:7233');
    const prod = temporalSettings({ ...empty, TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'prod' });
    // An API key implies TLS.
    expect(prod).toEqual({
      address: 'scoreflow-prod.a1b2c.tmprl.cloud:7233',
      namespace: 'scoreflow-prod.a1b2c',
      connection: { address: 'scoreflow-prod.a1b2c.tmprl.cloud:7233', apiKey: 'tc-api-key-from-the-file', tls: true },
      profile: 'prod',
      tls: true,
    });
  });

  it('reads TLS client certificates from the profile, and environment variables override the profile', () => {
    const mtls = temporalSettings({ ...empty, TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'mtls' });
    expect(mtls.tls).toBe(true);
    expect(mtls.connection.tls).toMatchObject({ serverNameOverride: 'temporal.corp', clientCertPair: { crt: expect.any(Uint8Array), key: expect.any(Uint8Array) } });
    const tls = mtls.connection.tls as { clientCertPair: { crt: Uint8Array } };
    expect(Buffer.from(tls.clientCertPair.crt).toString('utf8')).toContain('BEGIN CERTIFICATE');
    const overridden = temporalSettings({ ...empty, TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'prod', TEMPORAL_NAMESPACE: 'other.a1b2c', TEMPORAL_API_KEY: 'from-env' });
    expect(overridden).toMatchObject({ address: 'scoreflow-prod.a1b2c.tmprl.cloud:7233', namespace: 'other.a1b2c', connection: { apiKey: 'from-env' } });
  });

  it('an unknown profile or a broken file is a clear error naming the file', () => {
    expect(() => temporalSettings({ ...empty, TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'staging' })).toThrow(TemporalConfigError);
    expect(() => temporalSettings({ ...empty, TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'staging' })).toThrow(`TEMPORAL_PROFILE=staging: no such profile in ${toml}; add [profile.staging]`);
    const broken = join(dir, 'broken.toml');
    writeFileSync(broken, '[profile.default\naddress = ');
    expect(() => temporalSettings({ ...empty, TEMPORAL_CONFIG_FILE: broken })).toThrow(new RegExp(`Temporal client configuration \\(${broken.replace(/[.]/g, '\\.')} and TEMPORAL_\\* variables\\) is invalid`));
  });
});

describe('CLI identity', () => {
  it('is scoreflow-cli:<SCOREFLOW_OPERATOR, else the OS user>@<host>, and names its operator back', () => {
    expect(configuredOperator({ SCOREFLOW_OPERATOR: ' oncall-ana ' }, () => 'root')).toBe('oncall-ana');
    expect(configuredOperator({}, () => 'root')).toBe('root');
    expect(
      configuredOperator({}, () => {
        throw new Error('no user');
      }),
    ).toBe('');
    expect(cliIdentity('oncall-ana', 'ops-1')).toBe('scoreflow-cli:oncall-ana@ops-1');
    expect(cliIdentity('', 'ops-1')).toBe('scoreflow-cli:unknown@ops-1');
    expect(operatorOfIdentity('scoreflow-cli:ana@corp.example@ops-1')).toBe('ana@corp.example');
    expect(operatorOfIdentity('12345@worker-host')).toBeNull();
  });
});

describe('identityFromHistory', () => {
  const signaled = (name: string, identity: string) => ({ workflowExecutionSignaledEventAttributes: { signalName: name, identity } });
  const accepted = (updateId: string, identity: string) => ({ workflowExecutionUpdateAcceptedEventAttributes: { acceptedRequest: { meta: { updateId, identity } } } });
  const events = [signaled('approve', 'temporal-ui:zoe'), signaled('pause', 'scoreflow-cli:bob@h'), accepted('u-1', 'scoreflow-cli:ana@h'), signaled('approve', 'scoreflow-cli:ana@h')];

  it('reads the n-th signal of a name, or the accepted update by id, and compares a CLI identity with the payload', () => {
    expect(identityFromHistory(events, { kind: 'signal', name: 'approve', ordinal: 2 }, 'mallory')).toEqual({ identity: 'scoreflow-cli:ana@h', mismatch: true });
    expect(identityFromHistory(events, { kind: 'signal', name: 'approve', ordinal: 1 }, 'zoe')).toEqual({ identity: 'temporal-ui:zoe', mismatch: null });
    expect(identityFromHistory(events, { kind: 'update', updateId: 'u-1' }, 'ana')).toEqual({ identity: 'scoreflow-cli:ana@h', mismatch: false });
    expect(identityFromHistory(events, { kind: 'update', updateId: 'u-2' }, 'ana')).toEqual({ identity: null, mismatch: null });
    expect(identityFromHistory(events, { kind: 'signal', name: 'approve', ordinal: 3 }, 'ana')).toEqual({ identity: null, mismatch: null });
  });
});
