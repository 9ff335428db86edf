import { z } from 'zod';

export const identitySection = z
  .strictObject({})
  .describe('Login through OpenID Connect, browser sessions and API tokens.');
