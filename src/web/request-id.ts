import type { NextFunction, Request, Response } from 'express';
import { randomId } from '../core';
import type { Logger } from '../logging';

const INCOMING_ID = /^[A-Za-z0-9._-]{8,64}$/;

declare module 'express-serve-static-core' {
  interface Request {
    /** Id of this request, echoed in `X-Request-Id` and on every log line about it. */
    id: string;
    /** Logger whose lines carry this request's id. */
    log: Logger;
  }
}

/** Takes a well-formed `X-Request-Id` from a trusted proxy or makes one; attaches a child logger. */
export function requestId(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.get('x-request-id');
    req.id = incoming && INCOMING_ID.test(incoming) ? incoming : randomId();
    req.log = logger.child({ requestId: req.id });
    res.setHeader('X-Request-Id', req.id);
    next();
  };
}
