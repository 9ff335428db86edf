import { z } from 'zod';

export const proxySection = z
  .strictObject({})
  .describe('SSH gateway: listener, host key, upstream connections, session control.');
