import { z } from 'zod';

export const accessSection = z
  .strictObject({})
  .describe('Just-in-time access: requests, approvals, grants, revocation, host registration and notifications.');
