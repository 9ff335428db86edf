import { z } from 'zod';
import { duration } from '../types';

export const policySection = z
  .strictObject({
    dir: z
      .string()
      .min(1)
      .default('./policies')
      .describe(
        'Directory of role files (`*.yaml`) and the host inventory (`hosts.yaml`); relative paths are relative to the working directory.',
      ),
    watch: z
      .boolean()
      .default(true)
      .describe(
        'Reload the policy when a file in `policy.dir` changes (a bad policy is refused and the last good one stays active). SIGHUP and the admin API reload too.',
      ),
    reload_debounce: duration({ min: 10, max: 60_000 })
      .prefault('250ms')
      .describe(
        'Quiet time after the last file change before reloading (editors write files in several steps).',
      ),
    limits: z
      .strictObject({
        max_file_bytes: z
          .number()
          .int()
          .min(1024)
          .max(64 * 1_048_576)
          .default(4 * 1_048_576)
          .describe('Largest policy file read; larger files are refused unread.'),
        max_files: z
          .number()
          .int()
          .min(1)
          .max(10_000)
          .default(256)
          .describe('Most `*.yaml` files read from `policy.dir`.'),
        max_depth: z
          .number()
          .int()
          .min(4)
          .max(256)
          .default(32)
          .describe('Deepest YAML nesting accepted in a policy file.'),
        max_regex_length: z
          .number()
          .int()
          .min(8)
          .max(4096)
          .default(256)
          .describe('Longest `^…$` regular expression accepted in a policy.'),
        max_input_length: z
          .number()
          .int()
          .min(16)
          .max(4096)
          .default(256)
          .describe(
            'Longest email, group, claim value, host, login or ticket a request may carry into matching (longer: denied).',
          ),
        max_selector_hosts: z
          .number()
          .int()
          .min(1)
          .max(100_000)
          .default(1000)
          .describe('Most hosts one label-selector request may cover.'),
      })
      .prefault({})
      .describe('Bounds that keep hostile policy files and requests cheap.'),
  })
  .describe('Role policies and the host inventory.');
