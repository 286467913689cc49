/**
 * The relayer's HTTP API (fastify): POST /answers, GET /answers/:id, GET /healthz. Every error is
 * `{ "error": { "code", "message" } }` with a 4xx/5xx status; the message is a sentence naming what is
 * wrong. Limits: http.bodyLimitBytes per request (413), postsPerWindow / getsPerWindow per client IP per
 * rateWindowMs (429, checked before the body is read), queue.maxQueued waiting answers (503), and
 * http.maxConcurrentChecks answers in intake at once (503: each costs chain reads and a pairing).
 */
import rateLimit from "@fastify/rate-limit";
import Fastify, { type FastifyError, LogController } from "fastify";
import type { Logger } from "pino";
import type { RelayerChain } from "./chain";
import type { RelayerConfig } from "./config";
import { RelayerError, RelayerErrorCode, messageOf } from "./errors";
import type { Intake } from "./intake";
import { parseAnswer } from "./schema";
import type { AnswerStore } from "./store";
import type { Batcher } from "./batcher";

export interface AppDeps {
  readonly http: RelayerConfig["http"];
  readonly store: AnswerStore;
  readonly intake: Intake;
  readonly batcher: Batcher;
  readonly chain: RelayerChain;
  readonly relayer: string;
  readonly log: Logger;
}

function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

export async function buildApp(d: AppDeps) {
  const app = Fastify({
    bodyLimit: d.http.bodyLimitBytes,
    trustProxy: d.http.trustProxy,
    loggerInstance: d.log.child({ part: "http" }),
    logController: new LogController({ disableRequestLogging: true }),
  });

  app.setErrorHandler((err: FastifyError | RelayerError, req, reply) => {
    if (err instanceof RelayerError) {
      req.log.info({ code: err.code, status: err.httpStatus, ip: req.ip }, "request refused");
      return reply.code(err.httpStatus).send(errorBody(err.code, err.message));
    }
    const e = err as FastifyError;
    if (e.code === "FST_ERR_CTP_BODY_TOO_LARGE")
      return reply
        .code(413)
        .send(errorBody(RelayerErrorCode.BodyTooLarge, `the body is larger than ${d.http.bodyLimitBytes} bytes`));
    if (e.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE")
      return reply.code(415).send(errorBody(RelayerErrorCode.BadRequest, "send the answer as application/json"));
    if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500)
      return reply
        .code(e.statusCode)
        .send(errorBody(RelayerErrorCode.BadRequest, `the request is malformed: ${e.message}`));
    req.log.error({ err: messageOf(e) }, "request failed");
    return reply.code(500).send(errorBody("INTERNAL", "the relayer failed to handle the request"));
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send(errorBody(RelayerErrorCode.NotFound, `no route ${req.method} ${req.url.split("?")[0]}`)),
  );

  let checking = 0; // answers in intake now

  await app.register(rateLimit, {
    global: true,
    max: d.http.getsPerWindow,
    timeWindow: d.http.rateWindowMs,
    errorResponseBuilder: (_req, ctx) =>
      new RelayerError(
        RelayerErrorCode.RateLimited,
        `too many requests from this address: at most ${ctx.max} per ${d.http.rateWindowMs} ms, retry in ${ctx.after}`,
        429,
      ),
  });

  app.post(
    "/answers",
    { config: { rateLimit: { max: d.http.postsPerWindow, timeWindow: d.http.rateWindowMs } } },
    async (req, reply) => {
      const receivedAt = Date.now();
      const answer = parseAnswer(req.body);
      const dup = d.store.live(answer);
      if (dup) return reply.code(200).send({ id: dup.id, status: dup.status, duplicate: true });
      d.store.requireRoom();
      if (checking >= d.http.maxConcurrentChecks)
        throw new RelayerError(
          RelayerErrorCode.Busy,
          `the relayer is checking ${checking} answers already: retry in a moment`,
          503,
        );
      checking++;
      let accepted;
      try {
        accepted = await d.intake.check(answer);
      } finally {
        checking--;
      }
      const raced = d.store.live(answer); // another post for the same challenge was accepted meanwhile
      if (raced) return reply.code(200).send({ id: raced.id, status: raced.status, duplicate: true });
      const e = d.store.add(answer, accepted.deadline, accepted.head.number, receivedAt);
      d.batcher.poke();
      req.log.info(
        { id: e.id, account: answer.account, nonce: answer.record.nonce, deadline: e.deadline, ip: req.ip },
        "answer accepted",
      );
      return reply.code(202).send({ id: e.id, status: e.status, deadline: e.deadline.toString() });
    },
  );

  app.get<{ Params: { id: string } }>("/answers/:id", async (req, reply) => {
    const e = d.store.get(req.params.id);
    if (!e)
      throw new RelayerError(
        RelayerErrorCode.NotFound,
        `no answer ${req.params.id} here (never accepted, or forgotten after its retention time)`,
        404,
      );
    return reply.send(d.store.fate(e));
  });

  app.get("/healthz", async (_req, reply) => {
    const head = d.batcher.lastHead;
    const ageMs = head ? Date.now() - head.seenAt : undefined;
    const reachable = await d.chain.provider
      .getBalance(d.relayer)
      .then((b) => ({ ok: true as const, balance: b.toString() }))
      .catch(() => ({ ok: false as const, balance: undefined }));
    const inflight = d.batcher.inflight;
    const body = {
      status: reachable.ok ? "ok" : "degraded",
      chainId: d.chain.chainId.toString(),
      registry: await d.chain.registry.getAddress(),
      relayer: d.relayer,
      balanceWei: reachable.balance,
      head: head ? { number: head.number, timestamp: head.timestamp.toString(), seenMsAgo: ageMs } : undefined,
      queued: d.store.queued().length,
      pending: d.store.pending,
      inflight: inflight
        ? { hash: inflight.hash, members: inflight.members, sinceMs: Date.now() - inflight.since }
        : undefined,
      batches: d.batcher.history.length,
    };
    return reply.code(reachable.ok ? 200 : 503).send(body);
  });

  return app;
}
