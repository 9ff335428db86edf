import { z } from 'zod';
import { accessSection } from './sections/access';
import { auditSection } from './sections/audit';
import { caSection } from './sections/ca';
import { identitySection } from './sections/identity';
import { logSection } from './sections/log';
import { policySection } from './sections/policy';
import { proxySection } from './sections/proxy';
import { recordingSection } from './sections/recording';
import { serverSection } from './sections/server';
import { storeSection } from './sections/store';

/**
 * The whole configuration. Every key has a description and a default here, and only
 * here; the README's configuration reference is generated from this schema
 * (`npm run docs`) and a test fails when they differ. Each capability keeps its
 * section in `sections/<capability>.ts`.
 */
export const configSchema = z
  .strictObject({
    data_dir: z
      .string()
      .min(1)
      .default('./data')
      .describe('Directory for the embedded store, recordings and other state (created with mode 0700).'),
    certs_dir: z
      .string()
      .min(1)
      .default('./certs')
      .describe(
        'Directory of keys and certificates (CA keys, audit key, gateway host key); files are mode 0600.',
      ),
    server: serverSection.prefault({}),
    log: logSection.prefault({}),
    store: storeSection.prefault({}),
    ca: caSection.prefault({}),
    policy: policySection.prefault({}),
    audit: auditSection.prefault({}),
    identity: identitySection.prefault({}),
    access: accessSection.prefault({}),
    proxy: proxySection.prefault({}),
    recording: recordingSection.prefault({}),
  })
  .describe('Breakglass configuration (breakglass.yaml).');

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
