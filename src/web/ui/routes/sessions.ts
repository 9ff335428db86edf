import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { BreakglassError, isBreakglassError } from '../../../errors';
import { recordingsDir } from '../../../proxy';
import { createRecordingFiles, type VerifyResult } from '../../../recording';
import type { UiContext } from '../../app';
import type { UiDeps } from '../deps';
import { field, queryParam } from '../forms';
import { flash, guard, render, renderForbidden, viewerOf } from '../frame';
import { html, type SafeHtml } from '../html';
import {
  digestRecording,
  playerHeader,
  PlayerCastConverter,
  readCastLines,
  type RecordingDigest,
} from '../player-cast';
import {
  searchResultHtml,
  searchView,
  sessionsListView,
  sessionView,
  type SessionFilterValues,
} from '../pages/sessions';
import { scanSessions, type SessionSummary } from '../sessions-index';
import { parseUtcInput } from './oversight';

const SESSION_ID_RE = /^(?!\.)[A-Za-z0-9._-]{1,128}$/;

function sessionId(req: Request): string {
  const id = String(req.params.id ?? '');
  if (!SESSION_ID_RE.test(id)) throw new BreakglassError('NOT_FOUND', 'no such session');
  return id;
}

/** Security reviewers: sessions (live and past), live view and terminate, playback, search. */
export function sessionPages(ctx: UiContext, deps: UiDeps): Router {
  const router = Router();
  const logId = deps.config.audit.log_id;
  const files = createRecordingFiles({ dir: recordingsDir(deps.config) });
  const watchers = guard(ctx, deps, 'sessions');
  const gateway = () => deps.gateway?.() ?? null;
  const live = async () => (await gateway()?.sessions.list()) ?? [];

  const find = async (id: string): Promise<SessionSummary> => {
    const [s] = await scanSessions(deps.store, logId, await live(), { only: id, limit: 1 });
    if (!s) throw new BreakglassError('NOT_FOUND', `no session ${id} in the audit log`);
    return s;
  };

  router.get('/sessions', watchers, async (req: Request, res: Response, next: NextFunction) => {
    try {
      const state = queryParam(req, 'state');
      const values: SessionFilterValues = {
        state: state === 'live' || state === 'ended' ? state : '',
        user: queryParam(req, 'user', 200),
        host: queryParam(req, 'host', 253),
        from: queryParam(req, 'from', 19),
        to: queryParam(req, 'to', 19),
      };
      const fromMs = parseUtcInput(values.from);
      const toMs = parseUtcInput(values.to);
      const running = await live();
      const rows = await scanSessions(deps.store, logId, running, {
        ...(values.state ? { state: values.state } : {}),
        ...(values.user ? { user: values.user } : {}),
        ...(values.host ? { host: values.host } : {}),
        ...(typeof fromMs === 'number' ? { fromMs } : {}),
        ...(typeof toMs === 'number' ? { toMs: toMs + 59_999 } : {}),
        limit: 200,
      });
      const error =
        fromMs === null || toMs === null
          ? 'Times must look like 2026-01-31T13:45 (UTC); that filter was ignored.'
          : undefined;
      render(req, res, {
        title: 'Sessions',
        current: 'sessions',
        wide: true,
        status: error ? 400 : 200,
        body: sessionsListView({
          rows,
          values,
          gatewayRunning: gateway() !== null,
          liveCount: running.reduce((n, c) => n + c.channels.length, 0),
          ...(error ? { error } : {}),
        }),
      });
    } catch (err) {
      next(err);
    }
  });

  router.get('/sessions/:id', watchers, async (req: Request, res: Response, next: NextFunction) => {
    try {
      const v = viewerOf(res);
      const s = await find(sessionId(req));
      let digest: RecordingDigest | null = null;
      let verify: VerifyResult | null | 'missing' = null;
      try {
        const path = files.pathFor(s.id);
        await stat(path);
        if (s.state !== 'live') digest = await digestRecording(path);
        if (s.ended || s.checkpoints.length)
          verify = await files.verify(s.id, {
            ...(s.ended ? { sha256: s.ended.sha256, size: s.ended.size } : {}),
            checkpoints: s.checkpoints,
          });
      } catch (err) {
        if (
          (err as { code?: string }).code === 'ENOENT' ||
          (isBreakglassError(err) && err.code === 'RECORDING_NOT_FOUND')
        )
          verify = 'missing';
        else throw err;
      }
      const tText = queryParam(req, 't', 20);
      const t = tText === '' ? NaN : Number(tText);
      render(req, res, {
        title: `Session ${s.login}@${s.host}`,
        current: 'sessions',
        wide: true,
        styles: ['/static/asciinema-player.css'],
        scripts: ['/static/asciinema-player.min.js'],
        body: sessionView({
          s,
          digest,
          verify,
          canTerminate: v.abilities.terminate,
          liveAvailable: gateway() !== null,
          csrf: v.csrf,
          startAt: Number.isFinite(t) && t >= 0 ? t : null,
          maxReason: deps.config.access.max_reason_length,
        }),
      });
    } catch (err) {
      next(err);
    }
  });

  router.get(
    '/sessions/:id/recording.cast',
    watchers,
    async (req: Request, res: Response, next: NextFunction) => {
      try {
        const id = sessionId(req);
        const path = files.pathFor(id);
        await stat(path).catch((err: unknown) => {
          throw new BreakglassError('RECORDING_NOT_FOUND', `no recording ${id} on this server`, {
            cause: err,
          });
        });
        if (queryParam(req, 'raw') === '1') {
          res.setHeader('Content-Disposition', `attachment; filename="${id}.cast"`);
          res.type('application/x-asciicast');
          createReadStream(path).on('error', next).pipe(res);
          return;
        }
        res.type('application/x-asciicast');
        let conv: PlayerCastConverter | null = null;
        for await (const l of readCastLines(path)) {
          let line: string;
          if (l.header) {
            const kind = (l.header.breakglass as { kind?: string } | undefined)?.kind;
            conv = new PlayerCastConverter(kind === 'exec');
            line = JSON.stringify(playerHeader(l.header));
          } else {
            const e = conv!.event(l.event!);
            if (!e) continue;
            line = JSON.stringify(e);
          }
          if (!res.write(`${line}\n`)) await new Promise((r) => res.once('drain', r));
          if (res.destroyed) return;
        }
        res.end();
      } catch (err) {
        next(err);
      }
    },
  );

  router.get('/sessions/:id/live', watchers, async (req: Request, res: Response, next: NextFunction) => {
    const g = gateway();
    let started = false;
    const ac = new AbortController();
    // The response closes when the browser goes away (the request may count as done long before).
    res.on('close', () => ac.abort());
    const heartbeat = setInterval(() => started && res.write(': keep-alive\n\n'), 15_000);
    try {
      const id = sessionId(req);
      if (!g)
        throw new BreakglassError(
          'NOT_FOUND',
          'no SSH gateway runs on this server, so live sessions cannot be watched here',
        );
      const v = viewerOf(res);
      let conv = new PlayerCastConverter(false);
      for await (const line of g.sessions.watch(id, {
        signal: ac.signal,
        viewer: v.person.email || v.person.sub,
      })) {
        let msg: unknown;
        try {
          msg = JSON.parse(line);
        } catch {
          continue;
        }
        if (!started) {
          started = true;
          res.writeHead(200, {
            'Content-Type': 'text/event-stream',
            'Cache-Control': 'no-store',
            'X-Accel-Buffering': 'no',
          });
        }
        if (msg && typeof msg === 'object' && !Array.isArray(msg)) {
          const h = msg as Record<string, unknown>;
          conv = new PlayerCastConverter((h.breakglass as { kind?: string } | undefined)?.kind === 'exec');
          const ts = typeof h.timestamp === 'number' ? h.timestamp : Date.now() / 1000;
          // Where the session is now: events arriving from here on play at once.
          const time = Math.max(0, Date.now() / 1000 - ts + 1);
          res.write(`data: ${JSON.stringify({ cols: h.width, rows: h.height, time })}\n\n`);
        } else if (Array.isArray(msg)) {
          const e = conv.event(msg as [number, string, string]);
          if (e && e[1] !== 'i') res.write(`data: ${JSON.stringify(e)}\n\n`);
        }
      }
      if (!started) throw new BreakglassError('NOT_FOUND', `session ${id} is not running`);
      res.write('event: done\ndata: {}\n\n');
      res.end();
    } catch (err) {
      if (!started) return next(err);
      res.write('event: done\ndata: {}\n\n');
      res.end();
    } finally {
      clearInterval(heartbeat);
    }
  });

  router.post(
    '/sessions/:id/terminate',
    watchers,
    async (req: Request, res: Response, next: NextFunction) => {
      try {
        const v = viewerOf(res);
        const id = sessionId(req);
        if (!v.abilities.terminate) return renderForbidden(req, res, 'sessions');
        const g = gateway();
        if (!g)
          throw new BreakglassError(
            'NOT_FOUND',
            'no SSH gateway runs on this server, so it cannot end sessions',
          );
        const reason =
          field(req, 'reason').slice(0, deps.config.access.max_reason_length) ||
          'terminated by a security reviewer';
        const running = await g.sessions.find(id);
        if (!running) {
          flash(req, {
            kind: 'warn',
            title: 'The session had already ended.',
            text: 'Nothing was terminated.',
          });
        } else {
          await g.sessions.kill(id, `user:${v.person.email || v.person.sub}`, reason);
          flash(req, {
            kind: 'ok',
            title: 'Session terminated.',
            text: 'The gateway that runs it ends the connection within a second; its recording is sealed into the audit log.',
          });
        }
        res.redirect(303, `/sessions/${id}`);
      } catch (err) {
        next(err);
      }
    },
  );

  const searchFilters = (req: Request) => ({
    q: queryParam(req, 'q', 1024),
    user: queryParam(req, 'user', 200),
    host: queryParam(req, 'host', 253),
  });

  /** Searches the recordings of up to 500 sessions (newest first), one at a time. */
  async function* search(
    f: ReturnType<typeof searchFilters>,
    signal: AbortSignal,
  ): AsyncGenerator<
    | { total: number }
    | { done: number; hit?: { s: SessionSummary; matches: Array<{ time: number; snippet: string }> } }
  > {
    const sessions = await scanSessions(deps.store, logId, await live(), {
      ...(f.user ? { user: f.user } : {}),
      ...(f.host ? { host: f.host } : {}),
      limit: 500,
    });
    yield { total: sessions.length };
    let done = 0;
    for (const s of sessions) {
      if (signal.aborted) return;
      let matches: Array<{ time: number; snippet: string }> = [];
      try {
        matches = (await files.search(s.id, f.q, { maxMatches: 20 })).matches;
      } catch (err) {
        if (!(isBreakglassError(err) && err.code === 'RECORDING_NOT_FOUND')) throw err;
      }
      done++;
      yield matches.length ? { done, hit: { s, matches } } : { done };
    }
  }

  router.get('/search', watchers, async (req: Request, res: Response, next: NextFunction) => {
    try {
      const f = searchFilters(req);
      let results: SafeHtml | null = null;
      let summary: string | null = null;
      // Without script the search runs here and the page comes back with every match.
      if (f.q && queryParam(req, 'run') === '1') {
        const hits: SafeHtml[] = [];
        let total = 0;
        for await (const step of search(f, new AbortController().signal)) {
          if ('total' in step) total = step.total;
          else if (step.hit) hits.push(searchResultHtml(step.hit.s, step.hit.matches, f.q));
        }
        results = hits.length ? html`${hits}` : html`<p class="empty">No recording contains that text.</p>`;
        summary = `Searched ${total} recordings.`;
      }
      render(req, res, {
        title: 'Search recordings',
        current: 'sessions',
        wide: true,
        body: searchView({ ...f, results, summary }),
      });
    } catch (err) {
      next(err);
    }
  });

  router.get('/search/stream', watchers, async (req: Request, res: Response, next: NextFunction) => {
    const f = searchFilters(req);
    const ac = new AbortController();
    // The response closes when the browser goes away (the request may count as done long before).
    res.on('close', () => ac.abort());
    if (!f.q) return next(new BreakglassError('BAD_REQUEST', 'give the text to search for (q)'));
    res.status(200).type('application/x-ndjson');
    res.setHeader('X-Accel-Buffering', 'no');
    const send = (msg: unknown) => res.write(`${JSON.stringify(msg)}\n`);
    let total = 0;
    let matches = 0;
    try {
      for await (const step of search(f, ac.signal)) {
        if ('total' in step) {
          total = step.total;
          send({ type: 'start', total });
          continue;
        }
        if (step.hit) {
          matches += step.hit.matches.length;
          send({
            type: 'result',
            session: step.hit.s.id,
            matches: step.hit.matches,
            html: searchResultHtml(step.hit.s, step.hit.matches, f.q).value,
          });
        }
        send({ type: 'progress', done: step.done, total });
      }
      send({ type: 'done', total, matches, truncated: total >= 500 });
    } catch (err) {
      req.log?.error('recording search failed', { err });
      send({
        type: 'error',
        message: isBreakglassError(err) && err.expose ? err.message : 'the search failed; try again',
      });
    }
    res.end();
  });

  return router;
}
