import { Router, type NextFunction, type Request, type Response } from 'express';
import type { Subject } from '../../../policy';
import type { UiContext } from '../../app';
import type { UiDeps } from '../deps';
import { queryParam } from '../forms';
import { guard, render, viewerOf } from '../frame';
import { emergencyQueueView, filterRequests, queueView, type QueueFilters } from '../pages/reviews';

/** Approver pages: the review queue with its filters and the emergency sign-off queue. */
export function reviewPages(ctx: UiContext, deps: UiDeps): Router {
  const router = Router();
  const { access, clock } = deps;
  /** Emergency requests still waiting for their after-the-fact sign-off. */
  const openSignOffs = (person: Subject) =>
    access.listRequests(person, { scope: 'post-review', status: 'open', limit: 500 });

  router.get(
    '/reviews',
    guard(ctx, deps, 'reviews'),
    async (req: Request, res: Response, next: NextFunction) => {
      try {
        const v = viewerOf(res);
        const showParam = queryParam(req, 'show');
        const show: QueueFilters['show'] = showParam === 'open' || showParam === 'all' ? showParam : 'mine';
        const filters: QueueFilters = {
          show,
          requester: queryParam(req, 'requester', 100),
          host: queryParam(req, 'host', 100),
          emergency: queryParam(req, 'emergency') === 'yes',
        };
        const list =
          show === 'mine'
            ? await access.listRequests(v.person, { scope: 'review', status: 'open', limit: 500 })
            : await access.listRequests(v.person, {
                scope: 'all',
                status: show === 'open' ? 'open' : 'all',
                limit: 500,
              });
        const open = await openSignOffs(v.person);
        render(req, res, {
          title: 'Reviews',
          current: 'reviews',
          wide: true,
          body: queueView({
            requests: filterRequests(list, filters),
            filters,
            emergencyOpen: open.length,
            now: clock.now(),
          }),
        });
      } catch (err) {
        next(err);
      }
    },
  );

  router.get(
    '/reviews/emergency',
    guard(ctx, deps, 'reviews'),
    async (req: Request, res: Response, next: NextFunction) => {
      try {
        const v = viewerOf(res);
        const open = await openSignOffs(v.person);
        const recent = (await access.listRequests(v.person, { scope: 'all', status: 'all', limit: 1000 }))
          .filter((r) => r.emergency && r.post_review?.status === 'signed_off')
          .slice(0, 20);
        render(req, res, {
          title: 'Emergency sign-off',
          current: 'reviews',
          wide: true,
          body: emergencyQueueView({ open, recent, now: clock.now() }),
        });
      } catch (err) {
        next(err);
      }
    },
  );

  return router;
}
