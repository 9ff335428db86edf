import { z } from 'zod';

export const logSection = z
  .strictObject({
    level: z
      .enum(['error', 'warn', 'info', 'debug'])
      .default('info')
      .describe('Lowest level written to the log.'),
    format: z
      .enum(['json', 'pretty'])
      .default('json')
      .describe('`json`: one JSON object a line (for collectors); `pretty`: for a terminal.'),
  })
  .describe('Structured logging (winston). Configured secrets are redacted from every line.');
